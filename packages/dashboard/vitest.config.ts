import { definePackageConfig } from "@amqtt/vitest-preset";

// The Chromium end-to-end test starts a broker, an admin listener and a browser: give it room.
export default definePackageConfig({ test: { testTimeout: 60_000 } });
