#!/usr/bin/env node
// amqtt-bundle-dist (run in a package folder after `tsc`): bundle the package's
// own compiled modules in dist/ into one file per entry point (its `exports` and
// `bin`), in place, with the code two entries share in dist/chunks/. Every import
// of another package (`@amqtt/*`, npm, `node:`) stays an import, so each package
// is still one module instance however many packages import it: an `instanceof`
// across packages, and a plugin that imports `@amqtt/broker`, see the same classes
// as before. Why: Node's ES module loader costs about 60 KB of RSS per module it
// loads, and an idle `amqtt --memory` loaded 220 of them (issue 19).
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "esbuild";

/** The `./dist/*.js` files a package.json names as entry points (exports, with or without conditions, and bin). */
function entryPoints(pkg) {
  const targets = [];
  const collect = (value) => {
    if (typeof value === "string") targets.push(value);
    else if (value !== null && typeof value === "object") for (const v of Object.values(value)) collect(v);
  };
  collect(pkg.exports);
  collect(pkg.bin);
  return [...new Set(targets.filter((t) => /^\.\/dist\/.*\.js$/.test(t)))];
}

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const entries = entryPoints(pkg);
if (entries.length === 0) throw new Error(`${pkg.name}: no ./dist/*.js entry point in package.json`);
// Chunks of an earlier build would stay beside the new ones.
rmSync("dist/chunks", { recursive: true, force: true });
const result = await build({
  entryPoints: entries,
  outdir: "dist",
  outbase: "dist",
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  // No `keepNames` (its helper costs about 1 MB of RSS in an idle broker): a renamed class or function is refused below.
  metafile: true,
  // Composed with tsc's maps: stack traces still name the TypeScript sources.
  sourcemap: true,
  logLevel: "warning",
  minifyWhitespace: true,
});

/** The text of every file under `dir` (the package's TypeScript sources). */
function sourcesText(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), "utf8"))
    .join("\n");
}

/**
 * Top-level names that collide across a package's modules are renamed in a
 * bundle (`Foo` becomes `Foo2`), and so is the `.name` of a class or function so
 * declared. Refuse that (rename one of the two in the sources): a class or
 * function of the bundle whose name no source file holds.
 */
function renamedFunctions(file, sources) {
  const text = readFileSync(file, "utf8");
  // Unanchored (the output is minified to few lines): nested declarations are checked too, harmlessly.
  const named = [
    ...text.matchAll(/\b(?:class|function\*?)\s+([\w$]+)/g),
    ...text.matchAll(/\b(?:var|let|const)\s+([\w$]+)\s*=\s*(?:class|function|async function)\b/g),
  ].map((m) => m[1]);
  // A class that names itself in its body is emitted as `var Foo = class _Foo`: `Foo.name` reads `_Foo`
  // (what `util.inspect` shows; instances keep their fields). Let that pass, but not for an error
  // class (its name must stay the one written).
  const selfNamed = new Set(
    [...text.matchAll(/\b(?:var|let|const)\s+([\w$]+)\s*=\s*class\s+_\1(?:\s+extends\s+([\w$.]+))?\s*\{/g)]
      .filter((m) => !/Error$/.test(m[1]) && !/Error$/.test(m[2] ?? ""))
      .map((m) => `_${m[1]}`),
  );
  return named.filter(
    (name) =>
      !selfNamed.has(name) && !new RegExp(`(?<![\\w$])${name.replace(/\$/g, "\\$")}(?![\\w$])`).test(sources),
  );
}

const sources = sourcesText("src");
const renamed = Object.keys(result.metafile.outputs)
  .filter((file) => file.endsWith(".js"))
  .flatMap((file) => renamedFunctions(file, sources).map((name) => `${relative(".", file)}: ${name}`));
if (renamed.length > 0)
  throw new Error(
    `${pkg.name}: classes or functions renamed by the bundle (their .name would change): ${renamed.join(", ")}`,
  );
