// Browser bundle of @amqtt/codec: esbuild, minified, ESM, platform "browser".
// Fails if the bundle pulls in a Node built-in; prints raw and gzipped sizes.
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const result = await build({
  entryPoints: [new URL("../dist/index.js", import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  write: false,
  metafile: true,
  logLevel: "silent",
});
const inputs = Object.keys(result.metafile.inputs);
const nodeBuiltins = inputs.filter((p) => p.startsWith("node:") || /(^|\/)node_modules\//.test(p));
if (nodeBuiltins.length > 0) {
  console.error(`bundle pulls in: ${nodeBuiltins.join(", ")}`);
  process.exit(1);
}
const code = result.outputFiles[0].contents;
const gz = gzipSync(code, { level: 9 }).length;
console.log(
  `@amqtt/codec browser bundle: ${code.length} B minified, ${gz} B minified+gzipped (${(gz / 1024).toFixed(1)} KiB), ${inputs.length} modules, no Node built-ins`,
);
