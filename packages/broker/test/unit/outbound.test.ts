import { connect, createServer, type Server, type Socket } from "node:net";
import type { Connection } from "@amqtt/transport";
import { SlowConsumerError } from "@amqtt/transport";
import { memoryPair } from "@amqtt/transport-memory";
import { TcpConnection } from "@amqtt/transport-tcp";
import { afterEach, describe, expect, it } from "vitest";
import { OUTBOUND_BATCH_BYTES, Outbound } from "../../src/core/outbound.js";

/** The output layer alone: its protected methods made public, its drains reported to `onDrained`. */
class TestOutbound extends Outbound {
  constructor(
    transport: Connection,
    private readonly onDrained: () => void,
  ) {
    super(transport);
  }
  protected outputDrained(): void {
    this.onDrained();
  }
  add(bytes: Uint8Array): void {
    this.queueOutput(bytes);
  }
  flush(): void {
    this.flushOutput();
  }
  get pendingBytes(): number {
    return this.outputPendingBytes;
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A frame of `n` bytes, all `fill`. */
const frame = (n: number, fill: number) => new Uint8Array(n).fill(fill);

/** A server-side TcpConnection whose peer socket reads nothing until told to. */
async function stalledPeer(maxBufferedBytes: number): Promise<{
  connection: TcpConnection;
  peer: Socket;
  server: Server;
}> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
  const port = (server.address() as { port: number }).port;
  const peer = connect(port, "127.0.0.1");
  // The peer reads nothing: its receive buffer and the server's send buffer fill, then the transport's.
  peer.pause();
  const socket = await accepted;
  return { connection: new TcpConnection(socket, { maxBufferedBytes }), peer, server };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe("outbound (one write per connection per turn)", () => {
  it("sends the frames of one turn as one chunk, in order, and a lone frame as it is", async () => {
    const [a, b] = memoryPair();
    cleanups.push(() => a.abort());
    const chunks: Uint8Array[] = [];
    b.read?.({ data: (c) => chunks.push(c), end: () => {} });
    const out = new TestOutbound(a, () => {});
    for (let i = 0; i < 100; i++) out.add(frame(10, i));
    expect(out.pendingBytes).toBe(1000);
    await turn();
    expect(out.pendingBytes).toBe(0);
    expect(chunks).toHaveLength(1);
    expect(Array.from(chunks[0] ?? [])).toEqual(Array.from({ length: 1000 }, (_, i) => Math.floor(i / 10)));
    const lone = frame(7, 42);
    out.add(lone);
    await turn();
    expect(chunks).toHaveLength(2);
    expect(chunks[1]).toEqual(lone);
  });

  it("writes at once when a turn's frames reach the batch size, and flush() writes what waits", async () => {
    const [a, b] = memoryPair();
    cleanups.push(() => a.abort());
    const chunks: Uint8Array[] = [];
    b.read?.({ data: (c) => chunks.push(c), end: () => {} });
    const out = new TestOutbound(a, () => {});
    const size = 1024;
    for (let i = 0; i < OUTBOUND_BATCH_BYTES / size; i++) out.add(frame(size, i));
    // The batch is full: it left in this turn already.
    expect(out.pendingBytes).toBe(0);
    out.add(frame(3, 1));
    out.flush();
    expect(out.pendingBytes).toBe(0);
    await turn();
    expect(chunks.map((c) => c.length)).toEqual([OUTBOUND_BATCH_BYTES, 3]);
  });

  it("never holds more than the transport's maxBufferedBytes for a client that reads nothing: it is closed as a slow consumer", async () => {
    const bound = 256 * 1024;
    const { connection, peer, server } = await stalledPeer(bound);
    cleanups.push(() => {
      peer.destroy();
      server.close();
    });
    let drained = 0;
    const out = new TestOutbound(connection, () => drained++);
    let maxHeld = 0;
    let sawBacklog = false;
    // Far more than the kernel's socket buffers take, in turns of 100 frames of 100 bytes.
    for (let t = 0; t < 5000 && !connection.isClosed; t++) {
      for (let i = 0; i < 100; i++) {
        out.add(frame(100, i));
        maxHeld = Math.max(maxHeld, out.outputHeldBytes);
      }
      sawBacklog ||= out.outputBacklogged;
      await turn();
      maxHeld = Math.max(maxHeld, out.outputHeldBytes);
    }
    expect(sawBacklog).toBe(true);
    expect(maxHeld).toBeGreaterThan(bound / 2);
    expect(maxHeld).toBeLessThanOrEqual(bound);
    expect(connection.isClosed).toBe(true);
    const info = await connection.closed;
    expect(info.error).toBeInstanceOf(SlowConsumerError);
    expect(drained).toBe(0);
  });

  it("is backlogged while the transport is over its write high-water mark, and tells its owner when the client caught up", async () => {
    const { connection, peer, server } = await stalledPeer(64 * 1024 * 1024);
    cleanups.push(() => {
      peer.destroy();
      server.close();
      connection.abort();
    });
    let drained = 0;
    const out = new TestOutbound(connection, () => drained++);
    for (let t = 0; t < 2000 && !out.outputBacklogged; t++) {
      for (let i = 0; i < 100; i++) out.add(frame(100, i));
      await turn();
    }
    expect(out.outputBacklogged).toBe(true);
    expect(drained).toBe(0);
    const caughtUp = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (drained > 0) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    peer.resume();
    await caughtUp;
    expect(drained).toBe(1);
    expect(out.outputBacklogged).toBe(false);
  });

  it("writes every connection's frames of one turn at the end of the run, one send per connection, each in its own order", async () => {
    const pairs = [memoryPair(), memoryPair(), memoryPair()];
    const sent: Uint8Array[][] = pairs.map(() => []);
    const outs = pairs.map(([a], i) => {
      cleanups.push(() => a.abort());
      const send = a.send.bind(a);
      a.send = (chunk: Uint8Array) => {
        sent[i]?.push(Uint8Array.from(chunk));
        return send(chunk);
      };
      return new TestOutbound(a, () => {});
    });
    for (const [i, out] of outs.entries()) {
      out.add(frame(3, i));
      out.add(frame(2, 10 + i));
    }
    expect(sent.flat()).toHaveLength(0);
    // The end of the run is a microtask later.
    await Promise.resolve();
    for (const [i, chunks] of sent.entries())
      expect(chunks.map((c) => Array.from(c))).toEqual([[i, i, i, 10 + i, 10 + i]]);
    // The next run schedules again.
    outs[0]?.add(frame(1, 99));
    await Promise.resolve();
    expect(sent[0]?.[1]).toEqual(frame(1, 99));
  });
});
