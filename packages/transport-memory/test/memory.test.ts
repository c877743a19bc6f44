import { ConnectionRefusedError, SlowConsumerError, TooManyConnectionsError } from "@amqtt/transport";
import { Reader } from "@amqtt/transport/compliance";
import { afterEach, describe, expect, it } from "vitest";
import { type MemoryConnection, MemoryHub, memoryPair } from "../src/index.js";

const open: MemoryConnection[] = [];
afterEach(() => {
  for (const connection of open.splice(0)) connection.abort();
});

function pair(...args: Parameters<typeof memoryPair>): [MemoryConnection, MemoryConnection] {
  const ends = memoryPair(...args);
  open.push(...ends);
  return ends;
}

describe("memoryPair", () => {
  it("connects two ends that read what the other sends", async () => {
    const [a, b] = pair();
    a.send(new Uint8Array([1, 2]));
    b.send(new Uint8Array([3]));
    expect([...(await new Reader(b).read(2))]).toEqual([1, 2]);
    expect([...(await new Reader(a).read(1))]).toEqual([3]);
    expect(a.remoteAddress).toEqual(b.localAddress);
  });

  it("delivers asynchronously, so a send never runs the peer's reader inside the call", async () => {
    const [a, b] = pair();
    a.send(new Uint8Array([9]));
    expect(b.readBufferedBytes).toBe(0);
    await Promise.resolve();
    expect(b.readBufferedBytes).toBe(1);
  });

  it("holds bytes on the sender while the receiver is paused, up to the sender's maxBufferedBytes", async () => {
    const [a, b] = pair({ a: { maxBufferedBytes: 100 }, b: { readHighWaterMark: 10 } });
    a.send(new Uint8Array(10));
    await Promise.resolve();
    expect(b.readBufferedBytes).toBe(10);
    a.send(new Uint8Array(60));
    await Promise.resolve();
    expect(a.bufferedBytes).toBe(60);
    expect(b.readBufferedBytes).toBe(10);
    expect(a.send(new Uint8Array(41))).toBe(false);
    expect((await a.closed).error).toBeInstanceOf(SlowConsumerError);
  });
});

describe("MemoryHub", () => {
  it("refuses a dial to a name nobody listens on", async () => {
    await expect(new MemoryHub().dial("nobody")).rejects.toBeInstanceOf(ConnectionRefusedError);
  });

  it("refuses a second listener on the same name", () => {
    const hub = new MemoryHub();
    hub.listen("broker");
    expect(() => hub.listen("broker")).toThrow(/already exists/);
  });

  it("refuses a dial over maxConnections with ConnectionRefusedError caused by TooManyConnectionsError", async () => {
    const hub = new MemoryHub();
    const listener = hub.listen("broker", {
      maxConnections: 1,
      onConnection: (c) => open.push(c as MemoryConnection),
    });
    open.push((await hub.dial("broker")) as MemoryConnection);
    const refusal = await hub.dial("broker").catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConnectionRefusedError);
    expect((refusal as Error).cause).toBeInstanceOf(TooManyConnectionsError);
    await listener.close();
  });

  it("frees the name when its listener closes", async () => {
    const hub = new MemoryHub();
    await hub.listen("broker").close();
    await expect(hub.dial("broker")).rejects.toBeInstanceOf(ConnectionRefusedError);
    await hub.listen("broker").close();
  });
});
