import { defineConfig } from "vitest/config";

// The examples use the packages as published (their dist/), not their sources:
// no `@amqtt/source` condition here, unlike the packages' own tests.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "*.test.ts"],
    reporters: ["default", "json"],
    outputFile: { json: ".vitest/results.json" },
    testTimeout: 20_000,
  },
});
