import { createRequire } from "node:module";
import { isAbsolute, join, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { PluginLoadError } from "./errors.js";
import type { BrokerPlugin, PluginFactory } from "./types.js";

/** What a plugin module's default export may be. */
export type PluginModuleExport = PluginFactory | BrokerPlugin;

/**
 * Turn a configured specifier into something `import()` understands: relative
 * and absolute paths become file URLs (relative to `baseDir`, the config file's
 * folder), `npm:name` and bare names resolve from `baseDir` when they can.
 */
export function moduleUrl(specifier: string, baseDir: string): string {
  if (specifier.startsWith("file:")) return specifier;
  if (specifier.startsWith("./") || specifier.startsWith("../"))
    return pathToFileURL(resolvePath(baseDir, specifier)).href;
  if (isAbsolute(specifier)) return pathToFileURL(specifier).href;
  const bare = specifier.startsWith("npm:") ? specifier.slice(4) : specifier;
  try {
    // Resolve from the user's folder, not from this package's node_modules.
    return pathToFileURL(createRequire(join(baseDir, "noop.js")).resolve(bare)).href;
  } catch {
    return bare; // ESM-only packages (no require condition): let import() try
  }
}

/** Import a plugin module and return its default export, checked. */
export async function importPluginModule(
  configuredAs: string,
  specifier: string,
  baseDir: string,
): Promise<PluginModuleExport> {
  let loaded: { default?: unknown };
  try {
    loaded = (await import(moduleUrl(specifier, baseDir))) as { default?: unknown };
  } catch (error) {
    throw new PluginLoadError(
      configuredAs,
      "import",
      `cannot import "${specifier}": ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const exported = loaded.default;
  if (typeof exported === "function") return exported as PluginFactory;
  if (exported !== null && typeof exported === "object") return exported as BrokerPlugin;
  throw new PluginLoadError(
    configuredAs,
    "import",
    `"${specifier}" must export as default a plugin factory (context) => plugin, or a plugin object; found ${exported === undefined ? "no default export" : typeof exported}`,
  );
}
