import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { asRoot, type DbServer, dropRoot, retryWhileStarting, serverHandle } from "./db-server.js";
import { freePort } from "./ports.js";

// A real PostgreSQL for the tests: `initdb` in a temp dir, `postgres` on a free
// loopback port, stopped by PID. PostgreSQL refuses to run as root, so as root it
// runs as `nobody`.

/** Debian keeps the server programs out of PATH, in /usr/lib/postgresql/<version>/bin. */
function pgBin(name: string): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions.map((v) => join(root, v, "bin")).find((d) => existsSync(join(d, name)));
  return dir === undefined ? name : join(dir, name);
}

/**
 * Start PostgreSQL (`initdb` + `postgres`) with a password user `amqtt` owning a
 * database `amqtt_test`; TCP clients authenticate with SCRAM. `stop()` is a fast
 * shutdown (SIGINT: connected clients are cut off, as in a real outage).
 */
export async function startPostgres(): Promise<DbServer> {
  const dir = mkdtempSync(join(tmpdir(), "amqtt-pg-"));
  if (asRoot) {
    chownSync(dir, 65534, 65534);
    chmodSync(dir, 0o700);
  }
  const data = join(dir, "data");
  const [initCmd, initArgs] = dropRoot(pgBin("initdb"), [
    "-D",
    data,
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
    "-U",
    "postgres",
    "--no-sync",
  ]);
  execFileSync(initCmd, initArgs, { stdio: "pipe" });
  const port = await freePort();
  const [cmd, args] = dropRoot(pgBin("postgres"), [
    "-D",
    data,
    "-k",
    dir,
    "-p",
    String(port),
    "-h",
    "127.0.0.1",
    "-c",
    "fsync=off",
  ]);
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (d) => (log += d));
  // The superuser comes in through the unix socket (trusted); TCP clients need a password.
  const admin = () => new pg.Client({ host: dir, port, user: "postgres", database: "postgres" });
  const client = await retryWhileStarting(
    async () => {
      const c = admin();
      try {
        await c.connect();
        return c;
      } catch (error) {
        await c.end().catch(() => {});
        throw error;
      }
    },
    30_000,
    child,
    () => log,
  );
  const password = "pg-secret";
  // CREATEDB: test files that share the server each make a database of their own.
  await client.query(`CREATE USER amqtt WITH PASSWORD '${password}' CREATEDB`);
  await client.query("CREATE DATABASE amqtt_test OWNER amqtt");
  await client.end();
  return serverHandle("postgresql+asyncpg", port, password, child, dir, "SIGINT");
}
