import { join } from "node:path";
import { SqliteStore } from "@amqtt/store-sqlite";
import { freePort, makeTempDir } from "@amqtt/test-utils";
import { describe, expect, it } from "vitest";
import {
  bridge,
  connect,
  nothingMore,
  onCleanup,
  startMosq,
  startOurs,
  take,
  text,
  until,
} from "./helpers/world.js";

const N = 50;

/** A bridge config to `port` with a fast reconnect, `sensors/#` out at QoS 1. */
const outTo = (port: number, extra: Record<string, unknown> = {}) => ({
  name: "central",
  address: `127.0.0.1:${port}`,
  restart_timeout: [0.05, 0.2],
  topics: [{ filter: "sensors/#", direction: "out", qos: 1 }],
  ...extra,
});

describe("the outbound queue while the remote is unreachable", () => {
  it("sends every QoS 1 message once, in order, after a remote of ours comes back", async () => {
    // The remote keeps its sessions in SQLite, so its subscriber's session survives the restart.
    const dir = makeTempDir("bridge-far-");
    onCleanup(() => dir.remove());
    const farStore = () => new SqliteStore({ path: join(dir.path, "far.db") });
    const port = await freePort();
    let far = await startOurs({ port, store: farStore() });
    const site = await startOurs();
    const bridges = await bridge(site.broker, [outTo(port)]);
    await until(bridges, (s) => s.connected);
    const farSub = await connect(
      far.url,
      { cleanSession: false, autoReconnect: true, reconnectRetries: -1 },
      "far-sub",
    );
    await farSub.subscribe([["sensors/#", 1]]);

    await far.stop();
    await until(bridges, (s) => !s.connected);
    const pub = await connect(site.url);
    for (let i = 0; i < N; i++) await pub.publish("sensors/n", String(i), { qos: 1 });
    expect((await until(bridges, (s) => s.queued === N)).messagesOut).toBe(0);

    far = await startOurs({ port, store: farStore() });
    const got = await take(farSub, N);
    expect(got.map(text)).toEqual(Array.from({ length: N }, (_, i) => String(i)));
    expect(await nothingMore(farSub)).toBe(true);
    expect(await until(bridges, (s) => s.queued === 0)).toMatchObject({ messagesOut: N, dropped: 0 });
  });

  it("sends every QoS 1 message once, in order, to a mosquitto started after they were queued", async () => {
    const port = await freePort();
    const site = await startOurs();
    // A slow retry leaves time to subscribe at the remote before the bridge connects.
    const bridges = await bridge(site.broker, [outTo(port, { restart_timeout: 2 })]);
    const pub = await connect(site.url);
    for (let i = 0; i < N; i++) await pub.publish("sensors/n", String(i), { qos: 1 });
    expect(await until(bridges, (s) => s.queued === N)).toMatchObject({ connected: false, messagesOut: 0 });

    const far = await startMosq({ port });
    const farSub = await connect(far.url);
    await farSub.subscribe([["sensors/#", 1]]);
    expect(bridges.status()[0]?.connected).toBe(false);
    const got = await take(farSub, N);
    expect(got.map(text)).toEqual(Array.from({ length: N }, (_, i) => String(i)));
    expect(await nothingMore(farSub)).toBe(true);
    expect(await until(bridges, (s) => s.queued === 0)).toMatchObject({ messagesOut: N, connected: true });
  });

  it("is bounded by max_queued_messages: beyond it new messages are dropped and counted, the queued ones kept", async () => {
    const port = await freePort();
    const site = await startOurs();
    const bridges = await bridge(site.broker, [outTo(port, { max_queued_messages: 5, restart_timeout: 2 })]);
    const pub = await connect(site.url);
    for (let i = 0; i < 8; i++) await pub.publish("sensors/n", String(i), { qos: 1 });
    expect(await until(bridges, (s) => s.dropped === 3)).toMatchObject({ queued: 5 });
    // Local traffic is not blocked by the full queue.
    const localSub = await connect(site.url);
    await localSub.subscribe([["sensors/#", 1]]);
    await pub.publish("sensors/n", "local", { qos: 1 });
    expect(text((await take(localSub, 1))[0] as never)).toBe("local");

    const far = await startMosq({ port });
    const farSub = await connect(far.url);
    await farSub.subscribe([["sensors/#", 1]]);
    const got = await take(farSub, 5);
    expect(got.map(text)).toEqual(["0", "1", "2", "3", "4"]);
    expect(await nothingMore(farSub)).toBe(true);
  });

  it("is bounded by the store's own per-queue bound when it is lower (the broker's max_queued_messages)", async () => {
    const port = await freePort();
    const site = await startOurs({ config: { max_queued_messages: 3 } });
    const bridges = await bridge(site.broker, [outTo(port, { restart_timeout: 2 })]);
    const pub = await connect(site.url);
    for (let i = 0; i < 5; i++) await pub.publish("sensors/n", String(i), { qos: 1 });
    expect(await until(bridges, (s) => s.dropped === 2)).toMatchObject({ queued: 3 });
    const far = await startMosq({ port });
    const farSub = await connect(far.url);
    await farSub.subscribe([["sensors/#", 1]]);
    // The oldest are kept (the store would have dropped them, in flight or not).
    expect((await take(farSub, 3)).map(text)).toEqual(["0", "1", "2"]);
    expect(await nothingMore(farSub)).toBe(true);
  });

  it("is bounded by max_queued_bytes", async () => {
    const port = await freePort();
    const site = await startOurs();
    // Each message counts 9 topic bytes + 100 payload bytes + the hop user property (12 + 20): 141; 2 fit in 400.
    const bridges = await bridge(site.broker, [outTo(port, { max_queued_bytes: 400, restart_timeout: 30 })]);
    const pub = await connect(site.url);
    for (let i = 0; i < 5; i++) await pub.publish("sensors/n", "x".repeat(100), { qos: 1 });
    expect(await until(bridges, (s) => s.dropped === 3)).toMatchObject({ queued: 2, queuedBytes: 282 });
  });
});
