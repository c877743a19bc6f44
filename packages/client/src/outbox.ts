import type { Connection } from "@amqtt/transport";

/** Already fulfilled: `then` on it queues a microtask. */
const settled = Promise.resolve();

/** Largest write handed to the connection at once; also the size that triggers an early flush. */
const BATCH_BYTES = 64 * 1024;

/**
 * The packets written to one connection. Packets of one event-loop turn leave as
 * one write (a microtask later, or as soon as 64 KiB are waiting). Once the
 * connection reports its buffer full (`send` returns false) and holds half of
 * its `maxBufferedBytes`, the outbox keeps what follows until the connection
 * drains, so a burst never pushes the transport past its own bound (it would
 * close the connection as a slow consumer); `heldBytes` lets the client refuse
 * QoS 0 publishes beyond its own bound. A `hold` keeps every packet from a
 * point on until a promise resolves (the `beforeSend` option: the application
 * makes its record of a packet durable before the packet leaves).
 */
export class Outbox {
  /**
   * The packets waiting, from `head` to `count`. The array is reused from one
   * batch to the next (a fresh one per batch gave every publish a new backing
   * store); slots outside head..count are cleared so no sent packet is kept.
   */
  private chunks: (Uint8Array | undefined)[] = [];
  private count = 0;
  private head = 0;
  /** How many chunks of this connection left the array before `chunks[0]` (absolute index of `chunks[0]`). */
  private base = 0;
  /** Holds in push order: each keeps the chunks from its absolute index on until it settles. */
  private holds: Hold[] = [];
  private held = 0;
  private flushQueued = false;
  /** The last `send` said the connection's buffer is full. */
  private full = false;
  private connection: Connection | undefined;
  private stopWaiting: (() => void) | undefined;
  private readonly flushTask = (): void => this.flush();
  private readonly drained = (): void => {
    this.stopWaiting?.();
    this.stopWaiting = undefined;
    this.flush();
  };

  /** Bytes written but not yet handed to the connection. */
  get heldBytes(): number {
    return this.held;
  }

  /** Write to `connection` from now on; anything held for a previous one is dropped. */
  attach(connection: Connection | undefined): void {
    this.stopWaiting?.();
    this.stopWaiting = undefined;
    this.chunks = [];
    this.count = 0;
    this.head = 0;
    this.base = 0;
    this.holds = [];
    this.held = 0;
    this.full = false;
    this.connection = connection;
  }

  /**
   * Keep the next pushed packet, and every one after it, until `until`
   * resolves (the packets before it go on as usual). A rejection calls
   * `failed` (the connection is to be closed: nothing held is written, not
   * even by a forced flush). Holds are released in the order they were made.
   */
  hold(until: PromiseLike<void>, failed: (error: unknown) => void): void {
    const hold: Hold = { at: this.base + this.count, settled: false };
    const holds = this.holds;
    holds.push(hold);
    until.then(
      () => {
        // A hold of an earlier connection: its chunks were dropped with it.
        if (holds !== this.holds) return;
        hold.settled = true;
        while (holds.length > 0 && (holds[0] as Hold).settled) holds.shift();
        this.flush();
      },
      (error: unknown) => {
        if (holds === this.holds) failed(error);
      },
    );
  }

  /** Queue the bytes of one packet. */
  push(bytes: Uint8Array): void {
    this.chunks[this.count++] = bytes;
    this.held += bytes.length;
    if (this.stopWaiting !== undefined) return; // waiting for the connection to drain
    if (this.held >= BATCH_BYTES) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      // A reaction on a settled promise is the same microtask as `queueMicrotask`'s, but
      // Node's `queueMicrotask` also builds an AsyncResource and a bound function per call.
      settled.then(this.flushTask);
    }
  }

  /**
   * Hand what is held to the connection, in batches, until it reports its buffer
   * full. `force` (before a close) hands everything over regardless.
   */
  flush(force = false): void {
    this.flushQueued = false;
    const connection = this.connection;
    if (connection === undefined || (this.stopWaiting !== undefined && !force)) return;
    // Half the transport's bound leaves room for one more batch and for what is already in flight.
    const limit = connection.maxBufferedBytes / 2;
    while (this.head < this.end()) {
      if (this.full && !force && !connection.isClosed && connection.bufferedBytes >= limit) {
        this.stopWaiting = connection.onDrain(this.drained);
        return;
      }
      this.full = !connection.send(this.takeBatch(this.end()));
    }
  }

  /** The index in `chunks` that writing stops at: the first unsettled hold, or the end. */
  private end(): number {
    const hold = this.holds[0];
    return hold === undefined ? this.count : Math.min(this.count, hold.at - this.base);
  }

  /** Up to BATCH_BYTES of the oldest chunks before `stop` (at least one), joined when more than one. */
  private takeBatch(stop: number): Uint8Array {
    const chunks = this.chunks;
    const first = chunks[this.head] as Uint8Array;
    chunks[this.head] = undefined;
    let end = this.head + 1;
    let size = first.length;
    while (end < stop) {
      const next = (chunks[end] as Uint8Array).length;
      if (size + next > BATCH_BYTES) break;
      size += next;
      end++;
    }
    let batch = first;
    if (end - this.head > 1) {
      batch = new Uint8Array(size);
      batch.set(first, 0);
      let offset = first.length;
      for (let i = this.head + 1; i < end; i++) {
        const chunk = chunks[i] as Uint8Array;
        chunks[i] = undefined;
        batch.set(chunk, offset);
        offset += chunk.length;
      }
    }
    this.held -= size;
    if (end === this.count) {
      this.base += this.count;
      this.count = 0;
      this.head = 0;
      // After a burst, let a large array go rather than keep its slots for good.
      if (chunks.length > 1024) this.chunks = [];
    } else {
      this.head = end;
      // Drop the slots already sent now and then, so the array stays in proportion to what is held.
      if (this.head > 1024 && this.head * 2 > this.count) {
        this.chunks = chunks.slice(this.head, this.count);
        this.base += this.head;
        this.count -= this.head;
        this.head = 0;
      }
    }
    return batch;
  }
}

/** A hold on the outbox: chunks from absolute index `at` wait until it settles. */
interface Hold {
  at: number;
  settled: boolean;
}
