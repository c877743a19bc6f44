import { definePackageConfig } from "@amqtt/vitest-preset";

export default definePackageConfig({
  // Real PostgreSQL and MariaDB servers, started once for every test file.
  test: { globalSetup: ["test/global-setup.ts"], hookTimeout: 120_000 },
});
