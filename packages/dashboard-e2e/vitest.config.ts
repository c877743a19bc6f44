import { definePackageConfig } from "@amqtt/vitest-preset";

// One broker, one admin listener and one Chromium per describe; the steps run in order.
// The pages poll every 2-3 s, so a poll for what a page shows waits up to 15 s.
export default definePackageConfig({
  test: { testTimeout: 60_000, hookTimeout: 60_000, expect: { poll: { timeout: 15_000, interval: 100 } } },
});
