// Zero-dependency set-up shared by `npm start` and `npm test`, so both work on a
// fresh clone of a machine that has only Node and npm.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The pnpm version pinned in the root package.json `packageManager` field. */
export const pinnedPnpm = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager.split(
  "@",
)[1];

/**
 * Debian packages that some tests run as real third-party peers.
 * Installed with apt-get when missing (root only); never skipped silently.
 */
export const systemPackages = [
  { bin: "mosquitto", pkg: "mosquitto" },
  { bin: "mosquitto_pub", pkg: "mosquitto-clients" },
  { bin: "openssl", pkg: "openssl" },
  { bin: "chromium", pkg: "chromium" },
  // @amqtt/contrib-ldap's tests run a real directory server (slapd, with its slapadd and slappasswd).
  { bin: "slapd", pkg: "slapd" },
  // @amqtt/contrib-auth-db, @amqtt/store-sql and @amqtt/cli tests start real database servers.
  { bin: "pg_ctlcluster", pkg: "postgresql" },
  { bin: "mariadb-install-db", pkg: "mariadb-server" },
  // The cluster's and @amqtt/store-redis's tests start real Redis servers (and a Redis Cluster).
  { bin: "redis-server", pkg: "redis-server" },
  // The PROXY protocol tests put HAProxy (send-proxy / send-proxy-v2) in front of the broker.
  { bin: "haproxy", pkg: "haproxy" },
];

function log(msg) {
  process.stderr.write(`[bootstrap] ${msg}\n`);
}

function has(bin) {
  return spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0;
}

/** Run a command inheriting stdio; throw with its exit status when it fails. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...opts });
  if (r.status !== 0) {
    const err = new Error(`${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}`);
    err.exitCode = r.status ?? 1;
    throw err;
  }
}

function pnpmVersion() {
  try {
    return execFileSync("pnpm", ["--version"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
}

/** Make the pinned pnpm the one on PATH (toolchain.md: any other version refuses the pin). */
export function ensurePnpm() {
  const found = pnpmVersion();
  if (found === pinnedPnpm) return;
  log(`installing pnpm@${pinnedPnpm} (found ${found ?? "none"})`);
  run("npm", ["i", "-g", "--allow-scripts=pnpm", `pnpm@${pinnedPnpm}`]);
}

/** Install the Debian peers the tests use, when missing and when we may (root + apt-get). */
export function ensureSystemPackages() {
  const missing = systemPackages.filter((p) => !has(p.bin)).map((p) => p.pkg);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !has("apt-get")) {
    log(`missing ${missing.join(", ")}; install them (tests that need them will fail without them)`);
    return;
  }
  log(`apt-get install ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update", "-qq"], { env });
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { env });
}

/**
 * Where node-gyp finds Node's headers for native addons (better-sqlite3): npm's
 * own `nodedir` setting, which pnpm does not pass on. Without it node-gyp tries
 * to download the headers, and a machine without internet access fails there.
 */
function nodeHeadersDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  try {
    const dir = execFileSync("npm", ["config", "get", "nodedir"], { encoding: "utf8" }).trim();
    return dir === "" || dir === "undefined" || dir === "null" ? undefined : dir;
  } catch {
    return undefined;
  }
}

/** `pnpm install`, frozen when a lockfile exists. */
export function installDependencies() {
  const frozen = existsSync(join(root, "pnpm-lock.yaml")) ? ["--frozen-lockfile"] : [];
  const nodedir = nodeHeadersDir();
  run("pnpm", ["install", ...frozen, "--reporter=append-only"], {
    env: {
      ...process.env,
      TURBO_TELEMETRY_DISABLED: "1",
      ...(nodedir === undefined ? {} : { npm_config_nodedir: nodedir }),
    },
  });
}
