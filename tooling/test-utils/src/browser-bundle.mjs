// Plain JavaScript (with types in browser-bundle.d.mts) so that bench scripts
// run by Node without a TypeScript loader can use it too.
import { build } from "esbuild";

/**
 * Bundle `entry` for browsers with esbuild, in memory: ESM, platform "browser",
 * `minify` when asked, extra resolve `conditions` (e.g. `@amqtt/source`).
 * Returns the code, every input file and the Node built-ins (`node:*`) among them.
 */
export async function bundleForBrowser(entry, options = {}) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: options.minify ?? false,
    format: "esm",
    platform: "browser",
    conditions: options.conditions ?? [],
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const inputs = Object.keys(result.metafile.inputs);
  return {
    code: result.outputFiles[0].contents,
    inputs,
    nodeBuiltins: inputs.filter((p) => p.startsWith("node:")),
  };
}
