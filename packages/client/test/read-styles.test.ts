import type { Connection } from "@amqtt/transport";
import { dialTcp } from "@amqtt/transport-tcp";
import { describe, expect, it } from "vitest";
import { startOurBroker } from "./helpers/brokers.js";
import { newClient, text } from "./helpers/clients.js";

/** A TCP connection seen through a view without the optional push-style `read` (a custom carrier). */
function withoutPushRead(connection: Connection): Connection {
  return new Proxy(connection, {
    get(target, key) {
      if (key === "read" || key === "pauseReading" || key === "resumeReading") return undefined;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A dial function for `config.dial` that counts what it opened and how the client reads it. */
function countingDial(wrap: (c: Connection) => Connection): {
  dial: (url: URL) => Promise<Connection>;
  pushReads: () => number;
} {
  let reads = 0;
  return {
    dial: async (url) => {
      const c = await dialTcp({ host: url.hostname, port: Number(url.port) });
      const original = c.read.bind(c);
      c.read = (reader) => {
        reads++;
        original(reader);
      };
      return wrap(c);
    },
    pushReads: () => reads,
  };
}

describe("how the client reads its connection", () => {
  it("reads push-style through connection.read when the transport has it, and round-trips QoS 1", async () => {
    const { url } = await startOurBroker();
    const counting = countingDial((c) => c);
    const client = newClient({ dial: counting.dial });
    await client.connect(url);
    expect(await client.subscribe([["r/#", 1]])).toEqual([1]);
    await client.publish("r/1", "push", { qos: 1 });
    const m = await client.deliverMessage({ timeout: 5 });
    expect([m.topic, text(m.data)]).toEqual(["r/1", "push"]);
    expect(counting.pushReads()).toBe(1);
    await client.disconnect();
    expect(client.state).toBe("closed");
  });

  it("iterates a transport without connection.read, round-trips QoS 1 and ends the session when the broker goes away", async () => {
    const { url, stop } = await startOurBroker();
    const counting = countingDial(withoutPushRead);
    const client = newClient({ dial: counting.dial, auto_reconnect: false });
    await client.connect(url);
    expect(await client.subscribe([["r/#", 1]])).toEqual([1]);
    await client.publish("r/2", "iterated", { qos: 1 });
    const m = await client.deliverMessage({ timeout: 5 });
    expect([m.topic, text(m.data)]).toEqual(["r/2", "iterated"]);
    expect(counting.pushReads()).toBe(0);
    const lost = client.once("disconnected");
    await stop();
    await lost;
  });
});
