import type { Connection } from "@amqtt/transport";

/** Bytes of one connection's input fed to its machine per event-loop turn. */
export const INPUT_SLICE_BYTES = 2 * 1024;

/**
 * Fair reading for push-style transports: a large chunk (a fast publisher's
 * 64 KiB read holds ~1,500 small PUBLISH packets) is fed to the machine a slice
 * per event-loop turn, with reading paused in between, so the other
 * connections' input (a healthy subscriber's PUBACKs) is read between the
 * slices: a burst of one publisher does not overflow the queues of subscribers
 * that keep up. Mosquitto gets the same fairness by reading one packet per
 * client per loop.
 */
export class SlicedInput {
  /** What is left of a chunk, fed on a later turn. */
  private rest: Uint8Array | undefined;
  private scheduled = false;

  constructor(
    private readonly transport: Connection,
    /** Feed bytes to the machine. */
    private readonly feed: (bytes: Uint8Array) => void,
    /** True while nothing may be fed (the connection is paused as a publisher, or over). */
    private readonly held: () => boolean,
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
    if (rest !== undefined) this.feed(rest);
  }

  private slice(bytes: Uint8Array): void {
    if (bytes.length > INPUT_SLICE_BYTES && this.transport.pauseReading !== undefined) {
      this.rest = bytes.subarray(INPUT_SLICE_BYTES);
      this.transport.pauseReading();
      this.schedule();
      this.feed(bytes.subarray(0, INPUT_SLICE_BYTES));
    } else this.feed(bytes);
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
    if (rest === undefined || this.held()) return;
    this.rest = undefined;
    this.slice(rest);
    if (this.rest === undefined && !this.held()) this.transport.resumeReading?.();
  }
}
