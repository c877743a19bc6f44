// `npm test`: install what the tests need, run every package's tests through turbo,
// and end with one line `N passed, N failed` totalled from vitest's JSON reports.

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensurePnpm, ensureSystemPackages, installDependencies, root } from "./bootstrap.mjs";

const packagesDir = join(root, "packages");
const packageDirs = readdirSync(packagesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(packagesDir, d.name, "package.json")))
  .map((d) => join(packagesDir, d.name))
  .concat([join(root, "examples")].filter((d) => existsSync(join(d, "package.json"))));

ensurePnpm();
ensureSystemPackages();
installDependencies();

for (const dir of packageDirs) rmSync(join(dir, ".vitest"), { recursive: true, force: true });

// Three packages at a time: on a 2-core machine more parallel suites starve each
// other's real servers (Redis, databases, brokers) into timeouts.
const turbo = spawnSync("pnpm", ["exec", "turbo", "run", "test", "--continue", "--concurrency=3", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
});

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const dir of packageDirs) {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (!pkg.scripts?.test) continue;
  const file = join(dir, ".vitest", "results.json");
  if (!existsSync(file)) {
    missing.push(pkg.name);
    continue;
  }
  const r = JSON.parse(readFileSync(file, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  // A file that failed without a failed test in it (a syntax error, a missing module,
  // a beforeAll that threw: its tests are then reported skipped) counts as one failure.
  failed += r.testResults.filter(
    (t) => t.status === "failed" && !t.assertionResults.some((a) => a.status === "failed"),
  ).length;
}
if (missing.length > 0) {
  console.log(`no test results from: ${missing.join(", ")} (counted as failed)`);
  failed += missing.length;
}
const exitCode = turbo.status !== 0 || failed > 0 ? 1 : 0;
if (skipped > 0) console.log(`(${skipped} skipped)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(exitCode);
