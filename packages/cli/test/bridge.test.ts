// `amqtt -c config.yaml` with a `bridges:` section and the default SQLite store:
// messages queued for an unreachable remote survive a SIGKILL of the broker and
// reach the remote (a real mosquitto) after the restart, each once and in order.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type IncomingApplicationMessage, MQTTClient } from "@amqtt/client";
import { cleanupStack, freePort, startMosquitto } from "@amqtt/test-utils";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killAmqtt, runAmqtt, startAmqtt } from "./helpers/amqtt-process.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-bridge-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups = cleanupStack();
afterEach(cleanups.run);

function client(clientId: string): MQTTClient {
  const c = new MQTTClient({
    clientId,
    config: { reconnectInitialDelayMs: 20, reconnect_max_interval: 0.2 },
  });
  cleanups.add(() => c.disconnect().catch(() => {}));
  return c;
}

function writeConfig(cwd: string, remotePort: number, extra = ""): string {
  const file = join(cwd, "site.yaml");
  writeFileSync(
    file,
    `listeners:
  default:
    type: tcp
    bind: 127.0.0.1:0
plugins:
  anonymous-auth: {}
bridges:
  - name: central
    address: 127.0.0.1:${remotePort}
    protocol_version: 5
    restart_timeout: [0.05, 0.2]
    topics:
      - { filter: "sensors/#", direction: out, qos: 1, remote_prefix: "site-1/" }
${extra}`,
  );
  return file;
}

const N = 40;

describe("amqtt -c with bridges:", () => {
  it("keeps queued bridge messages through a SIGKILL (SQLite) and delivers every one once, in order", async () => {
    const cwd = mkdtempSync(join(dir, "kill-"));
    const remotePort = await freePort();
    const config = writeConfig(cwd, remotePort);
    const first = await startAmqtt(["-c", config, "--data-dir", join(cwd, "state")], cwd);
    const pub = client("site-publisher");
    await pub.connect(`mqtt://127.0.0.1:${first.port}`);
    // Every PUBACK means the message is in the bridge's queue on disk.
    for (let i = 0; i < N; i++) await pub.publish("sensors/n", String(i), { qos: 1 });
    await killAmqtt(first);
    await pub.disconnect().catch(() => {});

    const remote = await startMosquitto({ port: remotePort });
    cleanups.add(() => remote.stop());
    const sub = client("central-subscriber");
    await sub.connect(remote.url);
    await sub.subscribe([["site-1/#", 1]]);

    const second = await startAmqtt(["-c", config, "--data-dir", join(cwd, "state")], cwd);
    cleanups.add(() => killAmqtt(second));
    const got: IncomingApplicationMessage[] = [];
    while (got.length < N) got.push(await sub.deliverMessage({ timeout: 10 }));
    expect(got.map((m) => m.topic)).toEqual(Array(N).fill("site-1/sensors/n"));
    expect(got.map((m) => new TextDecoder().decode(m.data))).toEqual(
      Array.from({ length: N }, (_, i) => String(i)),
    );
    await expect(sub.deliverMessage({ timeout: 0.5 })).rejects.toThrow(/timed out/);
    expect(second.stderr()).toContain("bridges started");
  });

  it("loses no inbound message through a SIGKILL: what the bridge acknowledged is on disk, the rest the remote sends again", async () => {
    const cwd = mkdtempSync(join(dir, "inbound-"));
    const remote = await startMosquitto();
    cleanups.add(() => remote.stop());
    const config = writeConfig(
      cwd,
      remote.port,
      `      - { filter: "commands/#", direction: in, qos: 1, local_prefix: "from-central/" }\n`,
    );
    const state = join(cwd, "state");
    const first = await startAmqtt(["-c", config, "--data-dir", state], cwd);
    // A persistent subscriber at the site, offline while the commands arrive.
    const offline = new MQTTClient({ clientId: "site-app", config: { cleanSession: false } });
    cleanups.add(() => offline.disconnect().catch(() => {}));
    await offline.connect(`mqtt://127.0.0.1:${first.port}`);
    await offline.subscribe([["from-central/#", 1]]);
    await offline.disconnect();
    const farPub = client("central-publisher");
    await farPub.connect(remote.url);
    // The bridge connects in the background: wait until its subscription at the remote carries a probe.
    const probe = client("site-probe");
    await probe.connect(`mqtt://127.0.0.1:${first.port}`);
    await probe.subscribe([["from-central/commands/probe", 1]]);
    for (;;) {
      await farPub.publish("commands/probe", "?", { qos: 1 });
      if (
        await probe.deliverMessage({ timeout: 0.2 }).then(
          () => true,
          () => false,
        )
      )
        break;
    }
    for (let i = 0; i < N; i++) await farPub.publish("commands/c", String(i), { qos: 1 });
    await killAmqtt(first);

    const second = await startAmqtt(["-c", config, "--data-dir", state], cwd);
    cleanups.add(() => killAmqtt(second));
    await offline.connect(`mqtt://127.0.0.1:${second.port}`, { cleanSession: false });
    const seen = new Set<string>();
    while (seen.size < N) {
      const m = await offline.deliverMessage({ timeout: 10 });
      if (m.topic === "from-central/commands/c") seen.add(new TextDecoder().decode(m.data));
    }
    expect([...seen].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it("shows its bridges to the admin listener: GET /api/v1/bridges and amqtt_bridge_* in /metrics", async () => {
    const cwd = mkdtempSync(join(dir, "admin-"));
    const remote = await startMosquitto();
    cleanups.add(() => remote.stop());
    const adminPort = await freePort();
    const running = await startAmqtt(
      ["-c", writeConfig(cwd, remote.port), "--memory", "--admin-port", String(adminPort)],
      cwd,
    );
    cleanups.add(() => killAmqtt(running));
    // The admin listener opens after the MQTT listeners: it prints its URL once it listens.
    let stdout = "";
    running.child.stdout!.on("data", (d) => (stdout += d));
    const opened = Date.now() + 10_000;
    while (!stdout.includes("amqtt admin: ") && Date.now() < opened)
      await new Promise((r) => setTimeout(r, 20));
    const admin = `http://127.0.0.1:${adminPort}`;
    expect(stdout).toContain(`amqtt admin: ${admin}/`);
    type Listed = { items: { name: string; connected: boolean; messagesOut: number; address: string }[] };
    const bridges = async () => (await (await fetch(`${admin}/api/v1/bridges`)).json()) as Listed;
    const until = async (what: string, predicate: (l: Listed) => boolean) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const listed = await bridges();
        if (predicate(listed)) return listed;
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}: ${JSON.stringify(listed)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until("the bridge connected", (l) => l.items[0]?.connected === true);
    const pub = client("site-publisher-admin");
    await pub.connect(`mqtt://127.0.0.1:${running.port}`);
    await pub.publish("sensors/n", "1", { qos: 1 });
    const listed = await until("one message out", (l) => l.items[0]?.messagesOut === 1);
    expect(listed.items.map((b) => [b.name, b.address])).toEqual([
      ["central", `mqtt://127.0.0.1:${remote.port}`],
    ]);
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toMatch(/^amqtt_bridge_connected\{bridge="central"\} 1$/m);
    expect(metrics).toMatch(/^amqtt_bridge_messages_total\{bridge="central",direction="out"\} 1$/m);
    expect(metrics).toMatch(/^amqtt_bridge_queued_messages\{bridge="central"\} 0$/m);
  });

  it("refuses bridges with --workers and a store the workers do not share (each would queue only its own share)", async () => {
    const cwd = mkdtempSync(join(dir, "workers-"));
    const config = writeConfig(cwd, 1);
    const { code, stderr } = await runAmqtt(
      ["-c", config, "--memory", "--workers", "2", "--cluster", "redis://127.0.0.1:1"],
      cwd,
    );
    expect(code).toBe(2);
    expect(stderr).toContain("bridges in a cluster need a store every node shares");
  });

  it("refuses to start with a bad bridge, naming the field", async () => {
    const cwd = mkdtempSync(join(dir, "bad-"));
    const config = writeConfig(cwd, 1, `    max_inflight: 0\n`);
    const { code, stderr } = await runAmqtt(["-c", config, "--memory"], cwd);
    expect(code).toBe(1);
    expect(stderr).toContain("bridges[0].max_inflight");
  });
});
