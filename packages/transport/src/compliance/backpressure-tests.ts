import { expect, it } from "vitest";
import type { Connection } from "../connection.js";
import { waitForDrain } from "../drain.js";
import { SlowConsumerError } from "../errors.js";
import type { SuiteContext } from "./harness.js";
import { concat, firstDifference, pattern, Reader, sendUntil, tick } from "./helpers.js";

const KiB = 1024;
const MiB = 1024 * KiB;

function repeat(chunk: Uint8Array, times: number): Uint8Array {
  return concat(Array.from({ length: times }, () => chunk));
}

/**
 * Send the same chunk once per turn until `send` returns false (or the connection
 * closes). The drain wait starts at the refusal, so a quick drain is not missed.
 */
async function sendUntilRefused(
  connection: Connection,
  chunkSize: number,
  maxBytes: number,
): Promise<{ sent: number; refused: boolean; drained: Promise<void> }> {
  const chunk = pattern(chunkSize);
  for (let sent = 0; sent < maxBytes && !connection.isClosed; await tick()) {
    const accepted = connection.send(chunk);
    sent += chunkSize;
    if (!accepted) return { sent, refused: !connection.isClosed, drained: waitForDrain(connection) };
  }
  return { sent: maxBytes, refused: false, drained: Promise.resolve() };
}

/** Reading pauses, writes report backpressure, and every buffer bound holds. */
export function backpressureTests(context: SuiteContext): void {
  it("send returns false while the peer does not read, and drain fires once it reads", async () => {
    const { client, server } = await context.pair({ server: { readHighWaterMark: 16 * KiB } });
    const { sent, refused, drained } = await sendUntilRefused(client, 64 * KiB, 128 * MiB);
    expect(refused).toBe(true);
    expect(client.isClosed).toBe(false);
    const consumed = new Reader(server).read(sent);
    await drained;
    expect(client.isClosed).toBe(false);
    expect(firstDifference(await consumed, repeat(pattern(64 * KiB), sent / (64 * KiB)))).toBe(-1);
  });

  it("pauses reading while the application does not consume, keeping unread bytes near readHighWaterMark", async () => {
    const { client, server } = await context.pair({
      client: { maxBufferedBytes: 256 * KiB },
      server: { readHighWaterMark: 16 * KiB },
    });
    // The sender keeps going until its own bound closes it: megabytes for a socket.
    const sent = await sendUntil(client, 16 * KiB, 256 * MiB, () => false);
    expect(sent).toBeGreaterThan(256 * KiB);
    // One carrier chunk (at most 64 KiB) may land after the pause.
    expect(server.readBufferedBytes).toBeGreaterThanOrEqual(16 * KiB);
    expect(server.readBufferedBytes).toBeLessThanOrEqual(16 * KiB + 64 * KiB);
  });

  it("closes a sender whose peer never reads with SlowConsumerError once maxBufferedBytes is exceeded", async () => {
    const { client, server } = await context.pair({
      client: { maxBufferedBytes: 256 * KiB },
      server: { readHighWaterMark: 16 * KiB },
    });
    await sendUntil(client, 16 * KiB, 256 * MiB, () => false);
    const info = await client.closed;
    expect(info.initiator).toBe("local");
    expect(info.error).toBeInstanceOf(SlowConsumerError);
    expect(info.error).toMatchObject({ direction: "write", limit: 256 * KiB });
    expect((info.error as SlowConsumerError).bufferedBytes).toBeGreaterThan(256 * KiB);
    // A paused reader learns of the close only by reading up to it.
    await new Reader(server).readToEnd();
    expect((await server.closed).initiator).toBe("remote");
  });

  it("refuses a single send larger than maxBufferedBytes with SlowConsumerError", async () => {
    const { client } = await context.pair({ client: { maxBufferedBytes: 64 * KiB } });
    expect(client.send(pattern(64 * KiB + 1))).toBe(false);
    const info = await client.closed;
    expect(info.error).toBeInstanceOf(SlowConsumerError);
    expect(info.error).toMatchObject({ direction: "write", bufferedBytes: 64 * KiB + 1, limit: 64 * KiB });
  });

  it("accepts a send of exactly maxBufferedBytes", async () => {
    const { client, server } = await context.pair({ client: { maxBufferedBytes: 64 * KiB } });
    const payload = pattern(64 * KiB, 5);
    client.send(payload);
    expect(firstDifference(await new Reader(server).read(payload.length), payload)).toBe(-1);
    expect(client.isClosed).toBe(false);
  });

  it("closes a receiver whose application does not consume with SlowConsumerError once unread bytes exceed maxBufferedBytes", async () => {
    // A read mark above the bound means the carrier is never paused, so only the bound can stop it.
    const { client, server } = await context.pair({
      server: { maxBufferedBytes: 32 * KiB, readHighWaterMark: 1 * MiB },
    });
    await sendUntil(client, 8 * KiB, 64 * MiB, () => server.isClosed);
    const info = await server.closed;
    expect(info.initiator).toBe("local");
    expect(info.error).toBeInstanceOf(SlowConsumerError);
    expect(info.error).toMatchObject({ direction: "read", limit: 32 * KiB });
    expect(server.readBufferedBytes).toBe(0);
  });
}
