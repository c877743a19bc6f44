import type { PublishProperties, QoS } from "@amqtt/codec";

/** A message waiting for an offline session. */
export interface QueuedMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties: PublishProperties | undefined;
  /** Monotonic ms when it expires (5.0 Message Expiry Interval), or undefined. */
  expiresAt: number | undefined;
}

/**
 * The bounded FIFO of one offline persistent session. When full (by count or by
 * bytes) the oldest message is dropped to make room (Mosquitto's behaviour for
 * queued messages); every drop is counted and reported, never silent. O(1)
 * amortised push and shift.
 */
export class OfflineQueue {
  private items: (QueuedMessage | undefined)[] = [];
  private head = 0;
  private bytes = 0;
  /** Messages dropped because the queue was full, since creation. */
  dropped = 0;

  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get byteSize(): number {
    return this.bytes;
  }

  /**
   * Append `message`. Returns the number of older messages dropped to make room
   * (a message larger than `maxBytes` on its own is itself dropped: returns -1).
   */
  push(message: QueuedMessage): number {
    const size = message.payload.length;
    if (this.maxBytes > 0 && size > this.maxBytes) {
      this.dropped++;
      return -1;
    }
    let evicted = 0;
    while (
      this.length > 0 &&
      ((this.maxMessages > 0 && this.length >= this.maxMessages) ||
        (this.maxBytes > 0 && this.bytes + size > this.maxBytes))
    ) {
      this.shift();
      evicted++;
    }
    this.dropped += evicted;
    this.items.push(message);
    this.bytes += size;
    return evicted;
  }

  /** Remove and return the oldest message. */
  shift(): QueuedMessage | undefined {
    if (this.head >= this.items.length) return undefined;
    const message = this.items[this.head]!;
    this.items[this.head] = undefined;
    this.head++;
    this.bytes -= message.payload.length;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return message;
  }

  /** Remove everything. */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }
}
