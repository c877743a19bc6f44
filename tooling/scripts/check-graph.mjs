// Fails when a package depends on or imports across the edges allowed by
// docs/architecture.md (section 1), has an import cycle among its source files,
// or declares a runtime dependency that nothing imports. Checks package.json dependencies and
// every import specifier under src/.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { root } from "./bootstrap.mjs";
import { brokenLinks } from "./check-links.mjs";
import { importCycles, unusedDependencies } from "./graph-rules.mjs";

/** Core packages: sans-IO, runnable in browsers. */
const core = ["codec", "message", "qos", "session"];

/**
 * Allowed runtime @amqtt/* dependencies per package (folder name -> folder names).
 * A package missing here may depend on any non-edge package except cli/amqtt.
 */
const allowed = {
  codec: [],
  message: ["codec"],
  qos: ["codec", "message"],
  session: ["codec", "message", "qos"],
  transport: [],
  "transport-memory": ["transport"],
  "transport-tcp": ["transport"],
  "transport-ws": ["transport"],
  // The broker opens the listeners its configuration names, so it uses the
  // concrete transports (docs/architecture.md, section 7).
  client: ["codec", "message", "qos", "session", "transport", "transport-tcp", "transport-ws"],
  cli: [
    "bridge",
    "broker",
    "client",
    "contrib-auth-db",
    "contrib-http",
    "contrib-jwt",
    "contrib-ldap",
    "contrib-shadows",
    "store-sql",
    "store-sqlite",
    "store-redis",
    "cluster",
    "cluster-redis",
    "admin",
    "dashboard",
    "bridge",
  ],
  broker: [
    "codec",
    "message",
    "qos",
    "session",
    "transport",
    "transport-memory",
    "transport-tcp",
    "transport-ws",
    "store",
    "cluster",
  ],
  // The store contract: message and QoS types only, so a store installs none of the broker's dependencies.
  store: ["codec", "message", "qos"],
  "store-sqlite": ["store", "message"],
  // Server databases (PostgreSQL, MySQL/MariaDB): the contract and topic matching only, never the broker.
  "store-sql": ["store", "message"],
  // Redis: the store contract and topic matching only.
  "store-redis": ["store", "message"],
  // The cluster contract (membership, session ownership, routes, node-to-node envelopes): topic matching only.
  cluster: ["message"],
  // A cluster engine implements the contract only.
  "cluster-redis": ["cluster", "message"],
  // The dashboard: static assets built by Vite, served by admin; no runtime @amqtt/* dependency.
  dashboard: [],
  // Operations (HTTP admin API, /metrics, dashboard) and bridges: shells over the broker's public API.
  admin: ["broker", "message", "transport", "transport-tcp", "dashboard"],
  bridge: ["broker", "client", "store", "codec", "message"],
  // Contrib plugins: the broker's plugin types only.
  "contrib-http": ["broker"],
  "contrib-jwt": ["broker"],
  "contrib-ldap": ["broker"],
  "contrib-auth-db": ["broker"],
  // The shadows use the auth-db package's bounded database layer for their `connection`.
  "contrib-shadows": ["broker", "contrib-auth-db"],
};
const edges = ["cli", "amqtt"];
/** Private tooling packages: devDependencies only, never imported from src/. */
const tooling = [
  "@amqtt/tsconfig",
  "@amqtt/vitest-preset",
  "@amqtt/biome-config",
  "@amqtt/test-utils",
  "@amqtt/bundle-dist",
];
const shells = ["broker", "client", "transport", "transport-tcp", "transport-ws", "transport-memory"];

const problems = [];
const packagesDir = join(root, "packages");
const folders = readdirSync(packagesDir).filter((d) => existsSync(join(packagesDir, d, "package.json")));
const folderOf = new Map();
for (const folder of folders) {
  const pkg = JSON.parse(readFileSync(join(packagesDir, folder, "package.json"), "utf8"));
  folderOf.set(pkg.name, folder);
}

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.(ts|mts|js|mjs)$/.test(name) ? [p] : [];
  });
}

function checkEdge(from, toName, where) {
  const to = folderOf.get(toName);
  if (to === undefined) {
    if (toName.startsWith("@amqtt/"))
      problems.push(`${where}: ${toName} is not a package of this repository`);
    return;
  }
  if (edges.includes(to)) problems.push(`${where}: nothing may depend on ${toName}`);
  if ((from === "broker" && to === "client") || (from === "client" && to === "broker"))
    problems.push(`${where}: broker and client never import each other`);
  if (core.includes(from) && shells.includes(to))
    problems.push(`${where}: core package imports shell ${toName}`);
  const list = allowed[from];
  if (list !== undefined && !list.includes(to))
    problems.push(`${where}: ${from} may not depend on ${toName}`);
}

for (const folder of folders) {
  const pkg = JSON.parse(readFileSync(join(packagesDir, folder, "package.json"), "utf8"));
  const runtime = { ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies };
  for (const dep of Object.keys(runtime)) {
    if (tooling.includes(dep))
      problems.push(`packages/${folder}/package.json: tooling ${dep} must be a devDependency`);
    checkEdge(folder, dep, `packages/${folder}/package.json`);
  }
  for (const file of sourceFiles(join(packagesDir, folder, "src"))) {
    // Comments hold usage examples (TSDoc) that are not imports of the file itself.
    const text = readFileSync(file, "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    const rel = file.slice(root.length + 1);
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)["']([^"']+)["']/g)) {
      const spec = m[1];
      if (spec.startsWith(".")) continue;
      if (core.includes(folder) && (spec.startsWith("node:") || !spec.startsWith("@amqtt/")))
        problems.push(
          `${rel}: core package imports ${spec} (core has no runtime dependencies outside @amqtt)`,
        );
      const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
      if (tooling.includes(name)) problems.push(`${rel}: src imports tooling ${name} (tests only)`);
      else if (name.startsWith("@amqtt/")) {
        if (!(name in runtime)) problems.push(`${rel}: imports ${name} without declaring it in dependencies`);
        checkEdge(folder, name, rel);
      }
    }
    if (core.includes(folder) && /\bBuffer\.|\bsetTimeout\(|\bDate\.now\(|\bMath\.random\(/.test(text))
      problems.push(`${rel}: core package uses Buffer, timers, Date.now or Math.random`);
  }
}

for (const folder of folders) {
  const pkg = JSON.parse(readFileSync(join(packagesDir, folder, "package.json"), "utf8"));
  const files = sourceFiles(join(packagesDir, folder, "src"));
  for (const cycle of importCycles(files))
    problems.push(
      `packages/${folder}: import cycle ${cycle.map((f) => f.slice(root.length + 1)).join(" -> ")}`,
    );
  for (const dep of unusedDependencies(pkg, files))
    problems.push(`packages/${folder}/package.json: declares ${dep} but no file under src/ imports it`);
}

for (const link of brokenLinks()) problems.push(`broken link in ${link}`);

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`check-graph: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`check-graph: ${folders.length} packages, edges ok`);
