// Shared vitest configuration for every @amqtt package.
import { defineConfig, mergeConfig } from "vitest/config";

/**
 * Build a package's vitest config.
 * - Sibling packages resolve to their TypeScript sources through the
 *   `@amqtt/source` export condition, so tests never run against stale `dist/`.
 *   `ssr.resolve.conditions` replaces vite's defaults, hence the re-added ones.
 * - Results are also written as JSON to `.vitest/results.json`; the root
 *   `test` script totals those files into its `N passed, N failed` line.
 * @param {import("vitest/config").UserConfig} [overrides]
 */
export function definePackageConfig(overrides = {}) {
  const base = defineConfig({
    ssr: { resolve: { conditions: ["@amqtt/source", "module", "node", "development|production"] } },
    test: {
      include: ["test/**/*.test.ts"],
      reporters: ["default", "json"],
      outputFile: { json: ".vitest/results.json" },
      testTimeout: 20_000,
      hookTimeout: 30_000,
    },
  });
  return mergeConfig(base, overrides);
}
