import { definePackageConfig } from "@amqtt/vitest-preset";

// Unit tests only: the browser end to end lives in packages/dashboard-e2e.
export default definePackageConfig({ test: { testTimeout: 20_000 } });
