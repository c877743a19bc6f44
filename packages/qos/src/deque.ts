/**
 * A first-in first-out queue over a growable ring buffer: O(1) push at the back,
 * shift at the front and access by position. It holds what it is given: the
 * bound (count, bytes) is the caller's, checked before `push` (the QoS sender's
 * receive maximum, the store's queue limits).
 *
 * @example
 * ```ts
 * const queue = new Deque<string>();
 * queue.push("a");
 * queue.push("b");
 * queue.shift(); // "a"
 * queue.at(0); // "b"
 * ```
 */
export class Deque<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(8);
  private head = 0;
  private count = 0;

  /** Number of items. */
  get length(): number {
    return this.count;
  }

  /** Add at the back. */
  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
  }

  /** The front item, without removing it. */
  peek(): T | undefined {
    return this.at(0);
  }

  /** The item `index` places from the front (0 is the front), or `undefined`. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.items[(this.head + index) % this.items.length];
  }

  /** Remove and return the front item. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // let the item be collected
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  /** The items front to back. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) % this.items.length] as T;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
