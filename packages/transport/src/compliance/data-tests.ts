import { expect, it } from "vitest";
import { waitForDrain } from "../drain.js";
import { onData } from "../on-data.js";
import type { SuiteContext } from "./harness.js";
import { firstDifference, pattern, Reader, sendInChunks } from "./helpers.js";

/** Bytes arrive intact, in order, whatever the chunking. */
export function dataTests(context: SuiteContext): void {
  it("echoes bytes from the dialer back through the accepted side", async () => {
    const { client, server } = await context.pair();
    void onData(server, (chunk) => {
      server.send(chunk);
    });
    const reader = new Reader(client);
    expect(client.send(new Uint8Array([0x10, 0x02, 0x00, 0x00]))).toBe(true);
    expect([...(await reader.read(4))]).toEqual([0x10, 0x02, 0x00, 0x00]);
  });

  it("carries a 2 MiB payload sent in irregular chunks through an echo without changing a byte", async () => {
    const { client, server } = await context.pair();
    void onData(server, (chunk) => {
      if (!server.send(chunk)) return waitForDrain(server);
    });
    const payload = pattern(2 * 1024 * 1024, 7);
    const reader = new Reader(client);
    const received = reader.read(payload.length);
    await sendInChunks(client, payload, [1, 2, 3, 1000, 65_535, 65_536, 65_537, 200_000, 17]);
    expect(firstDifference(await received, payload)).toBe(-1);
  });

  it("keeps the order of 2000 small sends", async () => {
    const { client, server } = await context.pair();
    const count = 2000;
    for (let i = 0; i < count; i++) client.send(new Uint8Array([i >> 8, i & 0xff]));
    const bytes = await new Reader(server).read(count * 2);
    const order = Array.from({ length: count }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
    expect(order).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it("carries bytes in both directions at once", async () => {
    const { client, server } = await context.pair();
    const up = pattern(300_000, 1);
    const down = pattern(300_000, 2);
    const [atServer, atClient] = await Promise.all([
      new Reader(server).read(up.length),
      new Reader(client).read(down.length),
      sendInChunks(client, up, [4096]),
      sendInChunks(server, down, [5000]),
    ]);
    expect(firstDifference(atServer, up)).toBe(-1);
    expect(firstDifference(atClient, down)).toBe(-1);
  });

  it("names the transport and gives both addresses", async () => {
    const { client, server } = await context.pair();
    expect(client.localAddress.transport).not.toBe("");
    expect(client.remoteAddress.transport).toBe(client.localAddress.transport);
    expect(server.localAddress.transport).toBe(client.localAddress.transport);
    expect(server.remoteAddress.transport).toBe(client.localAddress.transport);
  });
}
