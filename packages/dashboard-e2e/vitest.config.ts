import { definePackageConfig } from "@amqtt/vitest-preset";

// One broker, one admin listener and one Chromium for the whole file; the steps run in order.
export default definePackageConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } });
