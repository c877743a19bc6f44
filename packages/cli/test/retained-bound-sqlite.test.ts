import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killAmqtt, startAmqtt } from "./helpers/amqtt-process.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-cli-retained-"));
const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BOUND = 10;

async function client(port: number): Promise<MqttClient> {
  const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, protocolVersion: 5 });
  clients.push(c);
  return c;
}

/** The reason code MQTT.js reports for a refused publish (0 when it was accepted). */
async function publishCode(c: MqttClient, topic: string): Promise<number> {
  try {
    await c.publishAsync(topic, "m", { qos: 1, retain: true });
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

describe("the retained bound with the SQLite store (the amqtt command's default)", () => {
  it("keeps 10 client retained messages beside $SYS/broker/version, refuses the 11th with 0x97 Quota exceeded, and restores all 10 after SIGKILL", async () => {
    const cwd = mkdtempSync(join(dir, "bound-"));
    const config = join(cwd, "broker.yaml");
    const yaml = `plugins:\n  anonymous-auth: {}\n  sys:\n    sys_interval: 0\nmax_retained_messages: ${BOUND}\n`;
    writeFileSync(config, yaml);
    const args = ["--port", "0", "--no-ws", "-c", config];
    const first = await startAmqtt(args, cwd);
    const pub = await client(first.port);
    for (let i = 0; i < BOUND; i++) expect(await publishCode(pub, `r/${i}`)).toBe(0);
    expect(await publishCode(pub, "r/over")).toBe(0x97);
    await killAmqtt(first);

    // Had `$SYS/broker/version` (published at start) taken a slot in the store, r/9 would not be there.
    const second = await startAmqtt(args, cwd);
    const sub = await client(second.port);
    const got: string[] = [];
    const all = new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`retained messages after restart: ${got.join(" ")}`)),
        5000,
      );
      sub.on("message", (topic, _p, packet) => {
        if (packet.retain) got.push(topic);
        if (got.length === BOUND + 1) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    await sub.subscribeAsync(["r/#", "$SYS/broker/version"], { qos: 1 });
    await all;
    expect(got.sort()).toEqual(
      [...Array.from({ length: BOUND }, (_, i) => `r/${i}`), "$SYS/broker/version"].sort(),
    );
    // Restored at the bound: one more new topic is refused.
    const pub2 = await client(second.port);
    expect(await publishCode(pub2, "r/over")).toBe(0x97);
    expect(second.stderr()).not.toMatch(/the store refused/);
  });
});
