import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { asRoot, type DbServer, retryWhileStarting, serverHandle } from "./db-server.js";
import { freePort } from "./ports.js";

/**
 * Start MariaDB (`mariadb-install-db` + `mariadbd`) in a temp dir on a free
 * loopback port, with a password user `amqtt` granted a database `amqtt_test`.
 * Stopped by PID (SIGTERM, MariaDB's normal shutdown).
 */
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
  const admin = await retryWhileStarting(
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
  // Test files that share the server each make a database of their own (amqtt_<word>).
  await admin.query("GRANT ALL ON `amqtt\\_%`.* TO 'amqtt'@'127.0.0.1'");
  await admin.end();
  return serverHandle("mysql+aiomysql", port, password, child, dir, "SIGTERM");
}
