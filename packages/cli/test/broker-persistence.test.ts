import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { leaveQueuedAndRetained } from "@amqtt/test-utils";
import { connect, connectAsync, type MqttClient } from "mqtt";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killAmqtt, runAmqtt, startAmqtt } from "./helpers/amqtt-process.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-cli-store-"));
const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The binary on TCP only, on a free port, in `cwd`. */
const TCP_ONLY = ["--port", "0", "--no-ws"];
const start = (args: string[], cwd: string) => startAmqtt([...TCP_ONLY, ...args], cwd);
const runToExit = (args: string[], cwd: string) => runAmqtt([...TCP_ONLY, ...args], cwd);

async function client(port: number, options: Parameters<typeof connectAsync>[1] = {}): Promise<MqttClient> {
  const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, ...options });
  clients.push(c);
  return c;
}

/** Leave a persistent session subscribed to `t/#`, publish a retained and a queued message, then SIGKILL the broker. */
async function fillThenKill(args: string[], cwd: string): Promise<void> {
  const first = await start(args, cwd);
  await leaveQueuedAndRetained(first.port, {
    clientId: "keeper",
    filter: "t/#",
    queued: { topic: "t/queued", payload: "waiting" },
    retained: { topic: "r/kept", payload: "retained" },
  });
  // Both PUBACKs arrived: the broker promises both are on disk. No graceful stop.
  await killAmqtt(first);
}

/** What a restarted broker gives back: the queued message to the session, the retained one to a new subscriber. */
async function whatSurvived(port: number): Promise<string[]> {
  const got: string[] = [];
  const sub = connect(`mqtt://127.0.0.1:${port}`, {
    reconnectPeriod: 0,
    clientId: "keeper",
    clean: false,
    manualConnect: true,
  });
  clients.push(sub);
  sub.on("message", (t, p) => got.push(`${t}=${p}`));
  sub.connect();
  await new Promise((r) => sub.once("connect", r));
  const fresh = await client(port);
  fresh.on("message", (t, p, packet) => got.push(`${t}=${p}${packet.retain ? " (retained)" : ""}`));
  await fresh.subscribeAsync("r/#", { qos: 1 });
  await new Promise((r) => setTimeout(r, 300));
  return got.sort();
}

describe("amqtt keeps its state in SQLite", () => {
  it("by default in ./amqtt-data: an acknowledged queued message and a retained message survive SIGKILL", async () => {
    const cwd = mkdtempSync(join(dir, "default-"));
    await fillThenKill([], cwd);
    expect(existsSync(join(cwd, "amqtt-data", "amqtt.db"))).toBe(true);
    const second = await start([], cwd);
    expect(await whatSurvived(second.port)).toEqual(["r/kept=retained (retained)", "t/queued=waiting"]);
  });

  it("in the folder --data-dir names", async () => {
    const cwd = mkdtempSync(join(dir, "flag-"));
    const data = join(cwd, "state");
    await fillThenKill(["--data-dir", data], cwd);
    expect(existsSync(join(data, "amqtt.db"))).toBe(true);
    expect(existsSync(join(cwd, "amqtt-data"))).toBe(false);
    const second = await start(["--data-dir", data], cwd);
    expect(await whatSurvived(second.port)).toEqual(["r/kept=retained (retained)", "t/queued=waiting"]);
  });

  it("in the file of aMQTT's SessionDBPlugin connection URL, from an aMQTT config file", async () => {
    const cwd = mkdtempSync(join(dir, "amqtt-yaml-"));
    const config = join(cwd, "broker.yaml");
    writeFileSync(
      config,
      [
        "listeners:",
        "  default:",
        "    type: tcp",
        "    bind: 127.0.0.1:0",
        "plugins:",
        "  amqtt.plugins.authentication.AnonymousAuthPlugin:",
        "    allow_anonymous: true",
        "  amqtt.contrib.persistence.SessionDBPlugin:",
        "    connection: sqlite+aiosqlite:///sessions.db",
        "    clear_on_shutdown: false",
        "",
      ].join("\n"),
    );
    await fillThenKill(["-c", config], cwd);
    expect(existsSync(join(cwd, "sessions.db"))).toBe(true);
    const second = await start(["-c", config], cwd);
    expect(await whatSurvived(second.port)).toEqual(["r/kept=retained (retained)", "t/queued=waiting"]);
  });

  it("not with --memory: nothing is written and nothing survives", async () => {
    const cwd = mkdtempSync(join(dir, "memory-"));
    await fillThenKill(["--memory"], cwd);
    expect(existsSync(join(cwd, "amqtt-data"))).toBe(false);
    const second = await start(["--memory"], cwd);
    expect(await whatSurvived(second.port)).toEqual([]);
  });

  it("refuses to start on a file that is not its database, exit code 1, and leaves the file as it was", async () => {
    const cwd = mkdtempSync(join(dir, "corrupt-"));
    const data = join(cwd, "data");
    const file = join(data, "amqtt.db");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(data);
    const garbage = Buffer.from("this is a text file, not SQLite, and it must stay this way\n".repeat(100));
    writeFileSync(file, garbage);
    const { code, stderr } = await runToExit(["--data-dir", data], cwd);
    expect(code).toBe(1);
    expect(stderr).toContain("Broker failed to start");
    expect(stderr).toContain(file);
    expect(readFileSync(file).equals(garbage)).toBe(true);
  });

  it("refuses --memory together with --data-dir (exit code 2)", async () => {
    const cwd = mkdtempSync(join(dir, "both-"));
    const { code, stderr } = await runToExit(["--memory", "--data-dir", "x"], cwd);
    expect(code).toBe(2);
    expect(stderr).toContain("--memory and --data-dir");
  });
});
