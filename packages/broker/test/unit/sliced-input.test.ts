import { type MemoryConnection, memoryPair } from "@amqtt/transport-memory";
import { describe, expect, it } from "vitest";
import { INPUT_SLICE_BYTES, SlicedInput } from "../../src/core/sliced-input.js";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A chunk of `n` bytes counting 0, 1, 2... (mod 256), to check order. */
const counting = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 256);

/** A sliced input whose every slice finds contention (each feed makes a subscriber queue). */
function contended(server: MemoryConnection, fed: Uint8Array[], held: () => boolean): SlicedInput {
  const contention = { queued: 0 };
  return new SlicedInput(
    server,
    {
      feedSlice: (b) => {
        fed.push(b);
        contention.queued++;
      },
      inputHeld: held,
    },
    contention,
  );
}

describe("sliced input (fair reading)", () => {
  it("under contention feeds a large chunk one slice per event-loop turn, in order, and holds the rest while its holder says so", async () => {
    const [server] = memoryPair();
    const fed: Uint8Array[] = [];
    let held = false;
    // Every slice finds contention (a subscriber queued): the rest waits for the next turn.
    const input = contended(server, fed, () => held);
    const chunk = counting(5 * INPUT_SLICE_BYTES + 10);
    input.data(chunk);
    // The first slice at once, the rest waits (reading is paused meanwhile): the bound per turn.
    expect(fed.map((b) => b.length)).toEqual([INPUT_SLICE_BYTES]);
    expect(input.pending).toBe(true);
    await turn();
    expect(fed).toHaveLength(2);
    // Held (the connection is paused as a publisher): nothing is fed, whatever the turns.
    held = true;
    await turn();
    await turn();
    expect(fed).toHaveLength(2);
    held = false;
    input.resume();
    for (let i = 0; i < 10 && input.pending; i++) await turn();
    expect(input.pending).toBe(false);
    expect(fed.every((b) => b.length <= INPUT_SLICE_BYTES)).toBe(true);
    expect(Buffer.concat(fed)).toEqual(Buffer.from(chunk));
    server.close();
  });

  it("under contention feeds what is left at once when the input ends (nothing received is lost), and small chunks directly", () => {
    const [server] = memoryPair();
    const fed: Uint8Array[] = [];
    const input = contended(server, fed, () => false);
    input.data(counting(10));
    expect(fed.map((b) => b.length)).toEqual([10]);
    const chunk = counting(3 * INPUT_SLICE_BYTES);
    input.data(chunk);
    input.flush();
    expect(input.pending).toBe(false);
    expect(Buffer.concat(fed.slice(1))).toEqual(Buffer.from(chunk));
    server.close();
  });

  it("feeds a large chunk at once when no slice made a subscriber queue (no contention: no cost)", () => {
    const [server] = memoryPair();
    const fed: Uint8Array[] = [];
    const input = new SlicedInput(
      server,
      { feedSlice: (b) => fed.push(b), inputHeld: () => false },
      { queued: 7 },
    );
    const chunk = counting(5 * INPUT_SLICE_BYTES + 10);
    input.data(chunk);
    expect(input.pending).toBe(false);
    expect(Buffer.concat(fed)).toEqual(Buffer.from(chunk));
    server.close();
  });
});
