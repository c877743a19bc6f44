import type { Connection } from "@amqtt/transport";

/** Bytes of one connection's input fed to its machine per event-loop turn. */
export const INPUT_SLICE_BYTES = 2 * 1024;

/**
 * Fair reading for push-style transports: a large chunk (a fast publisher's
 * 64 KiB read holds ~1,500 small PUBLISH packets) is fed to the machine in
 * slices, and when a slice made a subscriber that is acknowledging queue
 * messages behind its in-flight window (`contention` moved), the rest waits for
 * the next event-loop turn with reading paused: that subscriber's PUBACKs are
 * read first, so a burst of one publisher does not overflow the queues of
 * subscribers that keep up. Without contention the whole chunk is still fed in
 * the same turn, but slice by slice: one machine call per 2 KiB instead of one
 * per chunk (a cost on the hot path, measured in the bench; a cheaper trigger is
 * open work). Mosquitto gets the same fairness by reading one packet per client
 * per loop.
 */
/**
 * Where a {@link SlicedInput} feeds its slices: the connection itself (methods,
 * not closures: three closures per connection cost ~170 bytes of heap each idle one).
 */
export interface SliceReader {
  /** Feed bytes to the machine. */
  feedSlice(bytes: Uint8Array): void;
  /** True while nothing may be fed (the connection is paused as a publisher, or over). */
  inputHeld(): boolean;
}

export class SlicedInput {
  /** What is left of a chunk, fed on a later turn. */
  private rest: Uint8Array | undefined;
  private scheduled = false;

  constructor(
    private readonly transport: Connection,
    private readonly reader: SliceReader,
    /** `queued` moves when a subscriber that keeps acknowledging had to queue a message. */
    private readonly contention: { readonly queued: number },
  ) {}

  /** True while part of a chunk waits for its turn (reading stays paused meanwhile). */
  get pending(): boolean {
    return this.rest !== undefined;
  }

  /** A chunk from the transport. */
  data(chunk: Uint8Array): void {
    if (this.rest !== undefined) {
      // Only if the transport delivered while paused: keep the order.
      const joined = new Uint8Array(this.rest.length + chunk.length);
      joined.set(this.rest);
      joined.set(chunk, this.rest.length);
      this.rest = joined;
      return;
    }
    this.slice(chunk);
  }

  /** Reading may go on (a pause ended): the waiting rest first, then the transport. */
  resume(): void {
    if (this.rest !== undefined) this.schedule();
    else this.transport.resumeReading?.();
  }

  /** Feed everything left now (the input ended: nothing more will interleave). */
  flush(): void {
    const rest = this.rest;
    this.rest = undefined;
    if (rest !== undefined) this.reader.feedSlice(rest);
  }

  private slice(bytes: Uint8Array): void {
    let offset = 0;
    if (this.transport.pauseReading !== undefined) {
      while (bytes.length - offset > INPUT_SLICE_BYTES) {
        const before = this.contention.queued;
        this.reader.feedSlice(bytes.subarray(offset, offset + INPUT_SLICE_BYTES));
        offset += INPUT_SLICE_BYTES;
        const paused = this.reader.inputHeld();
        if (paused || this.contention.queued !== before) {
          // The rest waits: for the next turn, or (paused) for `resume`.
          this.rest = bytes.subarray(offset);
          this.transport.pauseReading();
          if (!paused) this.schedule();
          return;
        }
      }
    }
    this.reader.feedSlice(offset === 0 ? bytes : bytes.subarray(offset));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate: after the I/O of this loop turn, so other sockets are read first.
    setImmediate(() => {
      this.scheduled = false;
      this.next();
    });
  }

  private next(): void {
    const rest = this.rest;
    // Held: the end of the pause calls `resume`, which continues from here.
    if (rest === undefined || this.reader.inputHeld()) return;
    this.rest = undefined;
    this.slice(rest);
    if (this.rest === undefined && !this.reader.inputHeld()) this.transport.resumeReading?.();
  }
}
