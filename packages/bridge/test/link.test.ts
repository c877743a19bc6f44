import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { MemoryStore } from "@amqtt/broker";
import { certPath, freePort, makeTempDir } from "@amqtt/test-utils";
import { describe, expect, it } from "vitest";
import { bridge, connect, onCleanup, startMosq, startOurs, take, text, until } from "./helpers/world.js";

/** A store that says it is persistent and holds every flush until `open()`: "durable" on our word. */
class GatedStore extends MemoryStore {
  override readonly persistent = true;
  private release: () => void = () => {};
  private gate = new Promise<void>((r) => {
    this.release = r;
  });
  open_(): void {
    this.release();
  }
  close_(): void {
    this.gate = new Promise<void>((r) => {
      this.release = r;
    });
  }
  override async flush(): Promise<void> {
    await this.gate;
    return super.flush();
  }
}

/** Mosquitto with a second listener, TLS requiring a client certificate; the first (`far.url`) stays plain. */
async function mosquittoWithMutualTls() {
  const port = await freePort();
  const far = await startMosq({
    config: [
      `listener ${port} 127.0.0.1`,
      `cafile ${certPath("ca.crt")}`,
      `certfile ${certPath("server.crt")}`,
      `keyfile ${certPath("server.key")}`,
      "require_certificate true",
    ],
  });
  return { far, port };
}

describe("the remote connection", () => {
  it("acknowledges a remote QoS 1 message only once our broker holds it (after the store's flush)", async () => {
    const far = await startOurs();
    const store = new GatedStore();
    store.open_();
    const site = await startOurs({ store });
    const bridges = await bridge(site.broker, [
      {
        name: "central",
        address: `127.0.0.1:${far.port}`,
        topics: [{ filter: "cmd/#", direction: "in", qos: 1 }],
      },
    ]);
    await until(bridges, (s) => s.connected);
    store.close_();
    const farPub = await connect(far.url);
    const acked = farPub.publish("cmd/1", "go", { qos: 1 });
    await until(bridges, (s) => s.messagesIn === 1);
    // Routed locally, not yet durable: the remote still waits for the bridge's PUBACK.
    await new Promise((r) => setTimeout(r, 100));
    expect(far.broker.stats().inflightOut).toBe(1);
    store.open_();
    await acked;
    for (let i = 0; i < 100 && far.broker.stats().inflightOut > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(far.broker.stats().inflightOut).toBe(0);
  });

  it("fails over to the next address when the first does not answer", async () => {
    const dead = await freePort();
    const far = await startMosq();
    const site = await startOurs();
    const bridges = await bridge(site.broker, [
      {
        name: "central",
        addresses: [`127.0.0.1:${dead}`, `127.0.0.1:${far.port}`],
        topics: [{ filter: "a/#", direction: "out", qos: 1 }],
      },
    ]);
    const s = await until(bridges, (b) => b.connected);
    expect(s.address).toBe(`mqtt://127.0.0.1:${far.port}`);
  });

  it("connects with mutual TLS and a password from a file to mosquitto", async () => {
    const dir = makeTempDir("bridge-tls-");
    onCleanup(() => dir.remove());
    const passwordFile = join(dir.path, "password");
    writeFileSync(passwordFile, "s3cret\n");
    const { far, port } = await mosquittoWithMutualTls();
    const site = await startOurs();
    const bridges = await bridge(site.broker, [
      {
        name: "central",
        address: `mqtts://127.0.0.1:${port}`,
        username: "site-1",
        password_file: passwordFile,
        tls: {
          cafile: certPath("ca.crt"),
          certfile: certPath("client.crt"),
          keyfile: certPath("client.key"),
        },
        topics: [{ filter: "secure/#", direction: "out", qos: 1 }],
      },
    ]);
    await until(bridges, (s) => s.connected);
    const farSub = await connect(far.url);
    await farSub.subscribe([["secure/#", 1]]);
    const pub = await connect(site.url);
    await pub.publish("secure/x", "over tls", { qos: 1 });
    expect(text((await take(farSub, 1))[0] as never)).toBe("over tls");
  });

  it("without the client certificate mosquitto refuses the TLS handshake and the bridge reports it", async () => {
    const { port } = await mosquittoWithMutualTls();
    const site = await startOurs();
    const bridges = await bridge(site.broker, [
      {
        name: "central",
        address: `mqtts://127.0.0.1:${port}`,
        tls: { cafile: certPath("ca.crt") },
        topics: [{ filter: "secure/#", direction: "out", qos: 1 }],
      },
    ]);
    const s = await until(bridges, (b) => b.lastError !== undefined);
    expect(s).toMatchObject({ connected: false, connects: 0 });
  });
});

describe("several bridges", () => {
  it("run side by side: one whose remote is down only queues, the other and local traffic flow", async () => {
    const dead = await freePort();
    const far = await startMosq();
    const site = await startOurs();
    const bridges = await bridge(site.broker, [
      { name: "down", address: `127.0.0.1:${dead}`, topics: [{ filter: "t/#", direction: "out", qos: 1 }] },
      { name: "up", address: `127.0.0.1:${far.port}`, topics: [{ filter: "t/#", direction: "out", qos: 1 }] },
    ]);
    await until(bridges, (s) => s.connected, 10_000, "up");
    const farSub = await connect(far.url);
    await farSub.subscribe([["t/#", 1]]);
    const localSub = await connect(site.url);
    await localSub.subscribe([["t/#", 1]]);
    const pub = await connect(site.url);
    for (let i = 0; i < 10; i++) await pub.publish("t/x", String(i), { qos: 1 });
    expect((await take(farSub, 10)).map(text)).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    expect((await take(localSub, 10)).map(text)).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    // The remote delivers before it acknowledges: wait for the last PUBACK.
    expect(await until(bridges, (s) => s.messagesOut === 10, 10_000, "up")).toMatchObject({ queued: 0 });
    expect(bridges.status()[0]).toMatchObject({ name: "down", connected: false, queued: 10, messagesOut: 0 });
  });
});

describe("status", () => {
  it("is published under $SYS/broker/bridge/<name>/ and follows the connection", async () => {
    const port = await freePort();
    const site = await startOurs();
    const { Bridges } = await import("../src/index.js");
    const { silentLogger } = await import("@amqtt/broker");
    const bridges = Bridges.fromConfig(
      [
        {
          name: "central",
          address: `127.0.0.1:${port}`,
          restart_timeout: [0.05, 0.1],
          topics: [{ filter: "a/#" }],
        },
      ],
      site.broker,
      { logger: silentLogger, sysIntervalMs: 50 },
    );
    await bridges.start();
    onCleanup(() => bridges.stop());
    const sub = await connect(site.url);
    await sub.subscribe([["$SYS/broker/bridge/central/#", 0]]);
    const seen = new Map<string, string>();
    const read = async (topic: string, value: string) => {
      while (seen.get(topic) !== value) {
        const m = await sub.deliverMessage({ timeout: 5 });
        seen.set(m.topic, text(m));
      }
    };
    await read("$SYS/broker/bridge/central/state", "disconnected");
    const pub = await connect(site.url);
    await pub.publish("a/1", "x", { qos: 1 });
    await read("$SYS/broker/bridge/central/queued", "1");
    await startMosq({ port });
    await read("$SYS/broker/bridge/central/state", "connected");
    await read("$SYS/broker/bridge/central/messages/out", "1");
    await read("$SYS/broker/bridge/central/queued", "0");
  });
});
