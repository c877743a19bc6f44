/** How many envelope ids a node remembers for de-duplication by default. */
export const DEFAULT_DEDUPE_CAPACITY = 50_000;

/**
 * The ids of envelopes already processed, the most recent `capacity` of them
 * (oldest forgotten first). The bus is at-least-once: an envelope processed
 * but not yet acknowledged when a node or the engine hiccups comes again, and
 * must not be delivered twice (QoS 2 stays exactly once end to end). Ids are
 * unique per sender, so the key is sender and id.
 */
export class SeenEnvelopes {
  private readonly seen = new Set<string>();

  constructor(readonly capacity: number = DEFAULT_DEDUPE_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`the de-duplication capacity must be a positive integer, got ${capacity}`);
  }

  /** Number of ids remembered now (at most `capacity`). */
  get size(): number {
    return this.seen.size;
  }

  /** Record `id` of `from`; answers `false` when it was seen already (a redelivery). */
  firstTime(from: string, id: string): boolean {
    const key = `${from}\u0000${id}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    // A Set iterates in insertion order: the first value is the oldest.
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }
}
