import {
  type AddressInfo,
  ConnectionBase,
  type ConnectionOptions,
  ConnectionResetError,
} from "@amqtt/transport";

/**
 * One end of an in-process connection. Bytes sent are delivered to the peer in a
 * microtask (so a send never re-enters the peer's reader), while the peer is not
 * paused; otherwise they wait here and count against this side's
 * `maxBufferedBytes`, exactly like a socket's write buffer.
 */
export class MemoryConnection extends ConnectionBase {
  /** See {@link Connection.localAddress}. */
  readonly localAddress: AddressInfo;
  /** See {@link Connection.remoteAddress}. */
  readonly remoteAddress: AddressInfo;
  #peer!: MemoryConnection;
  #outbox: Uint8Array[] = [];
  #outboxHead = 0;
  #outboxBytes = 0;
  #flushScheduled = false;
  #readingPaused = false;
  #ending = false;
  #finished = false;

  /** Use {@link memoryPair} or {@link MemoryHub} instead. */
  private constructor(localAddress: AddressInfo, remoteAddress: AddressInfo, options: ConnectionOptions) {
    super(options);
    this.localAddress = localAddress;
    this.remoteAddress = remoteAddress;
  }

  /** Create two connected ends. @internal */
  static createPair(
    a: { address: AddressInfo; options?: ConnectionOptions },
    b: { address: AddressInfo; options?: ConnectionOptions },
  ): [MemoryConnection, MemoryConnection] {
    const first = new MemoryConnection(a.address, b.address, a.options ?? {});
    const second = new MemoryConnection(b.address, a.address, b.options ?? {});
    first.#peer = second;
    second.#peer = first;
    return [first, second];
  }

  protected override get carrierBufferedBytes(): number {
    return this.#outboxBytes;
  }

  protected override write(bytes: Uint8Array): boolean {
    this.#outbox.push(bytes);
    this.#outboxBytes += bytes.length;
    this.#scheduleFlush();
    return this.#outboxBytes < this.writeHighWaterMark;
  }

  protected override pauseCarrier(): void {
    this.#readingPaused = true;
  }

  protected override resumeCarrier(): void {
    this.#readingPaused = false;
    this.#peer.#scheduleFlush();
  }

  protected override endCarrier(): void {
    this.#ending = true;
    this.#scheduleFlush();
  }

  protected override destroyCarrier(): void {
    this.#finish(undefined);
    this.#peer.#finish(new ConnectionResetError("the peer aborted the in-memory connection"));
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#finished) return;
    this.#flushScheduled = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#finished) return;
    const peer = this.#peer;
    while (this.#outboxHead < this.#outbox.length && !peer.#readingPaused && !peer.#finished) {
      const chunk = this.#outbox[this.#outboxHead]!;
      this.#outbox[this.#outboxHead++] = EMPTY;
      this.#outboxBytes -= chunk.length;
      peer.carrierReceived(chunk);
    }
    if (this.#outboxHead === this.#outbox.length) {
      this.#outbox.length = 0;
      this.#outboxHead = 0;
      if (this.#ending) {
        // Everything is delivered: end both sides, like a FIN after the last byte.
        peer.carrierEnding();
        this.#finish(undefined);
        peer.#finish(undefined);
        return;
      }
    }
    this.carrierDrained();
  }

  #finish(error: Error | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#outbox = [];
    this.#outboxHead = 0;
    this.#outboxBytes = 0;
    this.carrierClosed(error);
  }
}

const EMPTY = new Uint8Array(0);
