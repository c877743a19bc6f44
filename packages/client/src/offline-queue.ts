/** What a full bounded queue does with one more entry. */
export type OverflowPolicy = "reject-new" | "drop-oldest";

/** One entry and its size in bytes. */
interface Sized<T> {
  item: T;
  bytes: number;
}

/**
 * A FIFO bounded by count and bytes. `push` returns what fell out: the new item
 * itself (`reject-new`, or an item larger than the byte bound) or the oldest ones
 * (`drop-oldest`), so the caller can settle their promises.
 */
export class BoundedQueue<T> {
  private items: Sized<T>[] = [];
  private head = 0;
  private usedBytes = 0;

  constructor(
    readonly maxItems: number,
    readonly maxBytes: number,
    readonly policy: OverflowPolicy,
  ) {}

  /** Entries held. */
  get length(): number {
    return this.items.length - this.head;
  }
  /** Bytes held. */
  get bytes(): number {
    return this.usedBytes;
  }

  /** Add `item` of `bytes`; returns the items evicted or refused (empty when it fit). */
  push(item: T, bytes: number): T[] {
    if (bytes > this.maxBytes) return [item];
    const fits = (): boolean => this.length < this.maxItems && this.usedBytes + bytes <= this.maxBytes;
    if (!fits() && this.policy === "reject-new") return [item];
    const evicted: T[] = [];
    while (!fits()) {
      const oldest = this.shift();
      if (oldest === undefined) break;
      evicted.push(oldest);
    }
    this.items.push({ item, bytes });
    this.usedBytes += bytes;
    return evicted;
  }

  /** Remove and return the oldest entry. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const entry = this.items[this.head] as Sized<T>;
    this.items[this.head] = undefined as unknown as Sized<T>;
    this.head++;
    this.usedBytes -= entry.bytes;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return entry.item;
  }

  /** Remove one given entry (e.g. an aborted publish); true when it was there. */
  remove(item: T): boolean {
    for (let i = this.head; i < this.items.length; i++) {
      const entry = this.items[i] as Sized<T>;
      if (entry.item === item) {
        this.items.splice(i, 1);
        this.usedBytes -= entry.bytes;
        return true;
      }
    }
    return false;
  }

  /** Remove and return everything, oldest first. */
  drain(): T[] {
    const all = this.items.slice(this.head).map((e) => e.item);
    this.items = [];
    this.head = 0;
    this.usedBytes = 0;
    return all;
  }
}
