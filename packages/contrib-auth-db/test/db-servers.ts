import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import pg from "pg";

// Real PostgreSQL and MariaDB servers for the tests: each in a temp dir, on a free
// loopback port, started here and stopped by PID. PostgreSQL refuses to run as root,
// so as root it runs as `nobody` (setpriv execs it: the PID is the server's).

/** A running database server. */
export interface DbServer {
  /** A connection URL in aMQTT's spelling (with the `+driver` part). */
  url: string;
  port: number;
  user: string;
  password: string;
  database: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** Debian keeps the server programs out of PATH, in /usr/lib/postgresql/<version>/bin. */
function pgBin(name: string): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions.map((v) => join(root, v, "bin")).find((d) => existsSync(join(d, name)));
  return dir === undefined ? name : join(dir, name);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Retry `attempt` until it resolves, for at most `ms`; the last error otherwise. */
async function retry<T>(
  attempt: () => Promise<T>,
  ms: number,
  child: ChildProcess,
  log: () => string,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${log()}`);
      if (Date.now() > end) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const asRoot = process.getuid?.() === 0;
const dropTo = (command: string, args: string[]): [string, string[]] =>
  asRoot
    ? ["setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", command, ...args]]
    : [command, args];

/** Start PostgreSQL (`initdb` + `postgres`) with a password user and a database. */
export async function startPostgres(): Promise<DbServer> {
  const dir = mkdtempSync(join(tmpdir(), "amqtt-pg-"));
  if (asRoot) {
    chownSync(dir, 65534, 65534);
    chmodSync(dir, 0o700);
  }
  const data = join(dir, "data");
  const [initCmd, initArgs] = dropTo(pgBin("initdb"), [
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
  const [cmd, args] = dropTo(pgBin("postgres"), [
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
  const client = await retry(
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
  await client.query(`CREATE USER amqtt WITH PASSWORD '${password}'`);
  await client.query("CREATE DATABASE amqtt_test OWNER amqtt");
  await client.end();
  return {
    url: `postgresql+asyncpg://amqtt:${password}@127.0.0.1:${port}/amqtt_test`,
    port,
    user: "amqtt",
    password,
    database: "amqtt_test",
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Start MariaDB (`mariadb-install-db` + `mariadbd`) with a password user and a database. */
export async function startMariadb(): Promise<DbServer> {
  const dir = mkdtempSync(join(tmpdir(), "amqtt-maria-"));
  const data = join(dir, "data");
  const socket = join(dir, "mysqld.sock");
  const user = asRoot ? ["--user=root"] : [];
  execFileSync("mariadb-install-db", ["--no-defaults", `--datadir=${data}`, ...user, "--skip-test-db"], {
    stdio: "pipe",
  });
  const port = await freePort();
  const child = spawn(
    "mariadbd",
    [
      "--no-defaults",
      `--datadir=${data}`,
      `--socket=${socket}`,
      `--port=${port}`,
      "--bind-address=127.0.0.1",
      `--pid-file=${join(dir, "mariadb.pid")}`,
      "--skip-log-bin",
      "--innodb-flush-log-at-trx-commit=0",
      ...user,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr?.on("data", (d) => (log += d));
  // The unix socket admits the OS user's namesake (root) without a password.
  const admin = await retry(
    () =>
      mysql.createConnection({ socketPath: socket, user: asRoot ? "root" : (process.env.USER ?? "root") }),
    60_000,
    child,
    () => log,
  );
  const password = "maria-secret";
  await admin.query("CREATE DATABASE amqtt_test");
  await admin.query(`CREATE USER 'amqtt'@'127.0.0.1' IDENTIFIED BY '${password}'`);
  await admin.query("GRANT ALL ON amqtt_test.* TO 'amqtt'@'127.0.0.1'");
  await admin.end();
  return {
    url: `mysql+aiomysql://amqtt:${password}@127.0.0.1:${port}/amqtt_test`,
    port,
    user: "amqtt",
    password,
    database: "amqtt_test",
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
