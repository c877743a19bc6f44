import type { Connection } from "@amqtt/transport";

/** Largest write handed to the connection at once; also the size that triggers an early flush. */
const BATCH_BYTES = 64 * 1024;

/**
 * The packets written to one connection. Packets of one event-loop turn leave as
 * one write (a microtask later, or as soon as 64 KiB are waiting). Once the
 * connection reports its buffer full (`send` returns false) and holds half of
 * its `maxBufferedBytes`, the outbox keeps what follows until the connection
 * drains, so a burst never pushes the transport past its own bound (it would
 * close the connection as a slow consumer); `heldBytes` lets the client refuse
 * QoS 0 publishes beyond its own bound.
 */
export class Outbox {
  private chunks: Uint8Array[] = [];
  private head = 0;
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
    this.head = 0;
    this.held = 0;
    this.full = false;
    this.connection = connection;
  }

  /** Queue the bytes of one packet. */
  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.held += bytes.length;
    if (this.stopWaiting !== undefined) return; // waiting for the connection to drain
    if (this.held >= BATCH_BYTES) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushTask);
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
    while (this.head < this.chunks.length) {
      if (this.full && !force && !connection.isClosed && connection.bufferedBytes >= limit) {
        this.stopWaiting = connection.onDrain(this.drained);
        return;
      }
      this.full = !connection.send(this.takeBatch());
    }
  }

  /** Up to BATCH_BYTES of the oldest chunks (at least one), joined when more than one. */
  private takeBatch(): Uint8Array {
    const first = this.chunks[this.head] as Uint8Array;
    let end = this.head + 1;
    let size = first.length;
    while (end < this.chunks.length) {
      const next = (this.chunks[end] as Uint8Array).length;
      if (size + next > BATCH_BYTES) break;
      size += next;
      end++;
    }
    let batch = first;
    if (end - this.head > 1) {
      batch = new Uint8Array(size);
      let offset = 0;
      for (let i = this.head; i < end; i++) {
        const chunk = this.chunks[i] as Uint8Array;
        batch.set(chunk, offset);
        offset += chunk.length;
      }
    }
    this.held -= size;
    if (end === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else {
      this.head = end;
      // Drop the slots already sent now and then, so the array stays in proportion to what is held.
      if (this.head > 1024 && this.head * 2 > this.chunks.length) {
        this.chunks = this.chunks.slice(this.head);
        this.head = 0;
      }
    }
    return batch;
  }
}
