import { expect, it } from "vitest";
import type { Connection, ConnectionReader } from "../connection.js";
import { SlowConsumerError, TransportError } from "../errors.js";
import type { SuiteContext } from "./harness.js";
import { concat, firstDifference, pattern, sendInChunks, sendUntil } from "./helpers.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** A reader that keeps what it is given and counts the ends. */
class CollectingReader implements ConnectionReader {
  readonly chunks: Uint8Array[] = [];
  ends = 0;
  readonly ended: Promise<void>;
  #resolve!: () => void;

  constructor() {
    this.ended = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  data(chunk: Uint8Array): void {
    this.chunks.push(chunk);
  }

  end(): void {
    this.ends++;
    this.#resolve();
  }

  get bytes(): Uint8Array {
    return concat(this.chunks);
  }
}

function pushRead(connection: Connection, reader: ConnectionReader): void {
  if (connection.read === undefined) throw new Error("the transport has no push-style reading");
  connection.read(reader);
}

/** Push-style reading (`read`, `pauseReading`, `resumeReading`) keeps the contract of iteration. */
export function pushReadTests(context: SuiteContext): void {
  it("read() pushes every byte in order, then end once after the peer closes", async () => {
    const { client, server } = await context.pair();
    const reader = new CollectingReader();
    pushRead(server, reader);
    const payload = pattern(256 * KiB, 3);
    await sendInChunks(client, payload, [1, 7, 1000, 4096, 33]);
    client.close();
    await reader.ended;
    expect(firstDifference(reader.bytes, payload)).toBe(-1);
    await server.closed;
    expect(reader.ends).toBe(1);
  });

  it("a paused reader keeps unread bytes near readHighWaterMark, and gets them all on resume", async () => {
    const { client, server } = await context.pair({
      client: { maxBufferedBytes: 256 * KiB },
      server: { readHighWaterMark: 16 * KiB },
    });
    const reader = new CollectingReader();
    pushRead(server, reader);
    server.pauseReading?.();
    const sent = await sendUntil(client, 16 * KiB, 256 * MiB, () => false);
    expect(sent).toBeGreaterThan(256 * KiB);
    expect(reader.chunks).toHaveLength(0);
    // One carrier chunk (at most 64 KiB) may land after the pause.
    expect(server.readBufferedBytes).toBeGreaterThanOrEqual(16 * KiB);
    expect(server.readBufferedBytes).toBeLessThanOrEqual(16 * KiB + 64 * KiB);
    const queued = server.readBufferedBytes;
    server.resumeReading?.();
    expect(reader.bytes.length).toBeGreaterThanOrEqual(queued);
  });

  it("a paused reader whose unread bytes exceed maxBufferedBytes gets SlowConsumerError and end", async () => {
    // A read mark above the bound: the carrier is never paused, so only the bound can stop it.
    const { client, server } = await context.pair({
      server: { maxBufferedBytes: 32 * KiB, readHighWaterMark: 1 * MiB },
    });
    const reader = new CollectingReader();
    pushRead(server, reader);
    server.pauseReading?.();
    await sendUntil(client, 8 * KiB, 64 * MiB, () => server.isClosed);
    const info = await server.closed;
    expect(info.error).toBeInstanceOf(SlowConsumerError);
    expect(info.error).toMatchObject({ direction: "read", limit: 32 * KiB });
    expect(server.readBufferedBytes).toBe(0);
    expect(reader.ends).toBe(1);
  });

  it("a connection has a single reader, whichever the style", async () => {
    const { server } = await context.pair();
    pushRead(server, new CollectingReader());
    expect(() => server[Symbol.asyncIterator]()).toThrow(TransportError);
    expect(() => pushRead(server, new CollectingReader())).toThrow(TransportError);
  });
}
