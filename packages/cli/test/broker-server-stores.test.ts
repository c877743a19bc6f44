import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DbServer } from "@amqtt/test-utils";
import { makeTempDir } from "@amqtt/test-utils";
import { startMariadb } from "@amqtt/test-utils/mariadb";
import { startPostgres } from "@amqtt/test-utils/postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { killAmqtt } from "./helpers/amqtt-process.js";
import { outageClients, publishUntilClosed, qos0Through } from "./helpers/store-outage.js";
import {
  fill,
  fillThenKill,
  runToExit,
  start,
  stopAmqtt,
  whatSurvived,
  writeSessionDbConfig,
} from "./helpers/survival.js";

// The `amqtt` command with an aMQTT configuration whose SessionDBPlugin names a
// PostgreSQL or MariaDB server: real servers started here (free port, temp dir,
// stopped by PID), the real `amqtt` process, MQTT.js clients.

const SERVERS: [name: string, start: () => Promise<DbServer>, kind: string][] = [
  ["PostgreSQL", startPostgres, "PostgreSQL"],
  ["MariaDB", startMariadb, "MySQL/MariaDB"],
];

const tmp = makeTempDir("amqtt-cli-sql-");
const dir = tmp.path;
afterAll(tmp.remove);

/** An aMQTT YAML naming SessionDBPlugin with `connection`, in a folder of its own. */
const amqttYaml = (connection: string, pluginLines: string[] = [], extra: string[] = []): string =>
  writeSessionDbConfig(mkdtempSync(join(dir, "cfg-")), connection, pluginLines, extra);

describe.each(SERVERS)("amqtt with aMQTT's SessionDBPlugin on %s", (_name, startServer, kind) => {
  let server: DbServer;
  beforeAll(async () => {
    server = await startServer();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  let killed = false;
  // Each test starts on an empty database.
  afterEach(async () => {
    if (killed) return;
    await server.query(
      ...["amqtt_queue", "amqtt_sessions", "amqtt_retained", "amqtt_store_meta"].map(
        (t) => `DROP TABLE IF EXISTS ${t}`,
      ),
    );
  });

  it("keeps a persistent session's queued message and a retained message across a graceful restart (clear_on_shutdown: false)", async () => {
    const config = amqttYaml(server.url, ["clear_on_shutdown: false"]);
    const cwd = mkdtempSync(join(dir, "graceful-"));
    const first = await fill(["-c", config], cwd);
    expect(await stopAmqtt(first)).toBe(0);
    // The URL is logged with its password hidden.
    expect(first.stderr()).toContain(`state kept in ${kind}`);
    expect(first.stderr()).not.toContain(server.password);
    const second = await start(["-c", config], cwd);
    expect(await whatSurvived(second.port)).toEqual(["r/kept=retained (retained)", "t/queued=waiting"]);
  });

  it("keeps what was acknowledged across SIGKILL of the broker", async () => {
    const config = amqttYaml(server.url, ["clear_on_shutdown: false"]);
    const cwd = mkdtempSync(join(dir, "kill-"));
    await fillThenKill(["-c", config], cwd);
    const second = await start(["-c", config], cwd);
    expect(await whatSurvived(second.port)).toEqual(["r/kept=retained (retained)", "t/queued=waiting"]);
  });

  it("takes the password from persistence.password_file when the URL has none", async () => {
    const secret = join(mkdtempSync(join(dir, "secret-")), "db-password");
    writeFileSync(secret, `${server.password}\n`, { mode: 0o600 });
    const withoutPassword = server.url.replace(`:${server.password}@`, "@");
    const config = amqttYaml(
      withoutPassword,
      ["clear_on_shutdown: false"],
      ["persistence:", `  password_file: ${secret}`],
    );
    const cwd = mkdtempSync(join(dir, "pwfile-"));
    await fillThenKill(["-c", config], cwd);
    const second = await start(["-c", config], cwd);
    expect(await whatSurvived(second.port)).toEqual(["r/kept=retained (retained)", "t/queued=waiting"]);
    await killAmqtt(second);
  });

  it("erases the stored state at a graceful stop with aMQTT's default clear_on_shutdown (true)", async () => {
    const config = amqttYaml(server.url);
    const cwd = mkdtempSync(join(dir, "cleared-"));
    expect(await stopAmqtt(await fill(["-c", config], cwd))).toBe(0);
    const second = await start(["-c", config], cwd);
    expect(await whatSurvived(second.port)).toEqual([]);
  });

  it("refuses to start when the server does not accept the password, without printing it", async () => {
    const wrong = server.url.replace(`:${server.password}@`, ":not-the-password@");
    const config = amqttYaml(wrong);
    const cwd = mkdtempSync(join(dir, "wrong-"));
    const { code, stderr } = await runToExit(["-c", config], cwd);
    expect(code).toBe(1);
    expect(stderr).toContain("Broker failed to start");
    expect(stderr).not.toContain("not-the-password");
  });

  // Last in this block: it kills the database server.
  it("keeps serving when the database server dies: QoS 0 flows, a QoS 1 message that must be stored gets no PUBACK and its publisher is closed", async () => {
    const config = amqttYaml(server.url, ["clear_on_shutdown: false"]);
    const cwd = mkdtempSync(join(dir, "db-dies-"));
    const broker = await start(["-c", config], cwd);
    const { listener, publisher } = await outageClients(broker.port);

    killed = true;
    await server.kill();

    // The offline session's message cannot be stored: no PUBACK, the publisher is closed (it resends later).
    expect(await publishUntilClosed(publisher, "lost")).toBe(false);
    // Everyone else is still served.
    expect(await qos0Through(broker.port, listener)).toBe("still here");
    expect(broker.child.exitCode).toBeNull();
    expect(broker.stderr()).not.toContain(server.password);
  });
});
