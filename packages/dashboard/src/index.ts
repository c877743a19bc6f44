/**
 * @packageDocumentation
 * The amqtt dashboard: a single-page app built by Vite into static files.
 * `@amqtt/admin` serves {@link dashboardAssetsDir} at `/` of the admin listener.
 *
 * ```ts
 * import { dashboardAssetsDir, dashboardIndexFile } from "@amqtt/dashboard";
 * ```
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Absolute path of the built assets (`index.html` and hashed files under `assets/`).
 * The same folder whether this module runs from `src/` or from `dist/`: both sit
 * beside `dist/` in the package.
 */
export const dashboardAssetsDir: string = fileURLToPath(new URL("../dist/app", import.meta.url));

/** Absolute path of the app's `index.html`, served for `/` (routes live after `#`). */
export const dashboardIndexFile: string = join(dashboardAssetsDir, "index.html");

/** Thrown by {@link assertDashboardBuilt} when the assets were not built. */
export class DashboardNotBuiltError extends Error {
  override readonly name = "DashboardNotBuiltError";
  constructor(readonly dir: string) {
    super(`the dashboard's assets are missing in ${dir}: run \`pnpm --filter @amqtt/dashboard build\``);
  }
}

/** Throws {@link DashboardNotBuiltError} unless `index.html` exists in {@link dashboardAssetsDir}. */
export function assertDashboardBuilt(): void {
  if (!existsSync(dashboardIndexFile)) throw new DashboardNotBuiltError(dashboardAssetsDir);
}
