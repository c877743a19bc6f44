/**
 * First in, first out over a growable ring buffer: O(1) push, shift and front
 * access. Bounds are the caller's business.
 * @internal
 */
export class RingQueue<T> {
  private slots: (T | undefined)[] = new Array<T | undefined>(4);
  private head = 0;
  private size = 0;

  /** Number of items. */
  get length(): number {
    return this.size;
  }

  /** Add at the back. */
  push(item: T): void {
    if (this.size === this.slots.length) this.grow();
    this.slots[(this.head + this.size) % this.slots.length] = item;
    this.size++;
  }

  /** The item `index` places from the front (0 is the front), or `undefined`. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.size) return undefined;
    return this.slots[(this.head + index) % this.slots.length];
  }

  /** Remove and return the front item. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined; // let the item be collected
    this.head = (this.head + 1) % this.slots.length;
    this.size--;
    return item;
  }

  /** The items front to back. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.slots[(this.head + i) % this.slots.length] as T;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.slots.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.slots[(this.head + i) % this.slots.length];
    this.slots = next;
    this.head = 0;
  }
}
