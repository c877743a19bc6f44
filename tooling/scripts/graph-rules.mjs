// Two rules check-graph applies to every package besides its allowed edges:
// no import cycle among a package's own source files (type-only imports count:
// a cycle of types is still two files that cannot be read apart), and no
// declared runtime dependency that no source file imports.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Import specifiers of one source file, comments stripped (TSDoc examples are not imports). */
export function importSpecifiers(file) {
  const text = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const specs = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+|require\(\s*)["']([^"']+)["']/g))
    specs.push(m[1]);
  return specs;
}

/** The source file a relative specifier names (`./a.js` is written for `./a.ts`). */
function resolveRelative(fromFile, spec) {
  const base = resolve(dirname(fromFile), spec);
  const candidates = [
    base,
    base.replace(/\.js$/, ".ts"),
    base.replace(/\.mjs$/, ".mts"),
    `${base}.ts`,
    join(base, "index.ts"),
  ];
  return candidates.find((c) => existsSync(c) && !c.endsWith("/")) ?? undefined;
}

/**
 * Every import cycle among `files` (relative imports only), each as the list of
 * files on it, found with Tarjan's strongly connected components.
 */
export function importCycles(files) {
  const known = new Set(files);
  const edges = new Map();
  for (const file of files) {
    const targets = [];
    for (const spec of importSpecifiers(file)) {
      if (!spec.startsWith(".")) continue;
      const target = resolveRelative(file, spec);
      if (target !== undefined && known.has(target)) targets.push(target);
    }
    edges.set(file, targets);
  }
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = component.length === 1 && edges.get(v).includes(v);
      if (component.length > 1 || selfLoop) cycles.push(component.reverse());
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return cycles;
}

/** The package a bare specifier names (`@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`). */
export function packageOf(spec) {
  return spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
}

/**
 * Declared runtime dependencies that no file in `files` imports. A dependency a
 * package needs without importing it (a CLI it spawns, a peer it only names)
 * is listed in the package.json field `amqtt.usedWithoutImport` with a reason.
 */
export function unusedDependencies(pkg, files) {
  const declared = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies });
  const exempt = new Set(Object.keys(pkg.amqtt?.usedWithoutImport ?? {}));
  const imported = new Set();
  for (const file of files)
    for (const spec of importSpecifiers(file)) if (!spec.startsWith(".")) imported.add(packageOf(spec));
  return declared.filter((dep) => !imported.has(dep) && !exempt.has(dep) && !dep.startsWith("@types/"));
}
