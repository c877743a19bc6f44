// Browser bundle of @amqtt/codec: esbuild, minified, ESM, platform "browser".
// Fails if the bundle pulls in a Node built-in; prints raw and gzipped sizes.
import { gzipSync } from "node:zlib";
import { bundleForBrowser } from "@amqtt/test-utils/browser-bundle";

const { code, inputs, nodeBuiltins } = await bundleForBrowser(
  new URL("../dist/index.js", import.meta.url).pathname,
  { minify: true },
);
// The codec has no dependencies: a package from node_modules in the bundle is a mistake too.
const unwanted = [...nodeBuiltins, ...inputs.filter((p) => /(^|\/)node_modules\//.test(p))];
if (unwanted.length > 0) {
  console.error(`bundle pulls in: ${unwanted.join(", ")}`);
  process.exit(1);
}
const gz = gzipSync(code, { level: 9 }).length;
console.log(
  `@amqtt/codec browser bundle: ${code.length} B minified, ${gz} B minified+gzipped (${(gz / 1024).toFixed(1)} KiB), ${inputs.length} modules, no Node built-ins`,
);
