/**
 * A map from the session's sequence numbers to what waits on them (the
 * client's publishes in flight), with a `Map`'s semantics.
 *
 * Why not a `Map`: the session hands sequence numbers out in increasing order
 * and most acknowledgements come in that order too, so a `Map` of a few live
 * entries is forever inserting at its end and deleting at its start, and V8
 * rebuilds its hash table every few operations (a profile charged about 90
 * bytes per QoS 1 publish to `Map.prototype.delete` alone). Here the keys sit
 * in an array in increasing order: adding the next key is a push, the oldest
 * key is found at `head`, any other by binary search, and a deleted slot is
 * reclaimed when the head moves past it or, behind an old entry that stays,
 * by a compaction once the holes outnumber the live entries. A key that is not
 * above every key added before (a session restarted its numbering) goes to a
 * plain `Map` on the side, so any order of keys stays correct.
 */
export class InFlightTable<T> {
  // The arrays are reused, never truncated: emptying and refilling an array would
  // give it a new backing store each time (a profile showed that, 250 bytes per publish).
  private keys: number[] = [];
  private slots: (T | undefined)[] = [];
  /** Index of the first slot that may be live; slots before it are empty. */
  private head = 0;
  /** One past the last slot in use; `keys` and `slots` beyond it are stale. */
  private end = 0;
  /** Live entries in the arrays (not counting `others`). */
  private live = 0;
  private others: Map<number, T> | undefined;

  /** How many entries are held. */
  get size(): number {
    return this.live + (this.others?.size ?? 0);
  }

  /**
   * Array slots between the oldest live entry and the newest, holes included:
   * what the table costs beyond its live entries (bounded by compaction).
   */
  get span(): number {
    return this.end - this.head;
  }

  /** The entry under `key`, if any. */
  get(key: number): T | undefined {
    const at = this.indexOf(key);
    return at >= 0 ? this.slots[at] : this.others?.get(key);
  }

  /** Hold `entry` under `key`, replacing what was there. */
  set(key: number, entry: T): void {
    const end = this.end;
    if (end === this.head || key > (this.keys[end - 1] as number)) {
      if (this.others?.has(key)) {
        this.others.set(key, entry);
        return;
      }
      this.keys[end] = key;
      this.slots[end] = entry;
      this.end = end + 1;
      this.live++;
      return;
    }
    const at = this.indexOf(key);
    if (at < 0) {
      this.others ??= new Map();
      this.others.set(key, entry);
      return;
    }
    if (this.slots[at] === undefined) this.live++;
    this.slots[at] = entry;
  }

  /** Take the entry under `key` out; returns it (undefined when there was none). */
  take(key: number): T | undefined {
    const at = this.indexOf(key);
    if (at < 0) {
      const entry = this.others?.get(key);
      this.others?.delete(key);
      return entry;
    }
    const slots = this.slots;
    const entry = slots[at];
    if (entry === undefined) return undefined;
    slots[at] = undefined;
    this.live--;
    if (this.live === 0) {
      this.head = 0;
      this.end = 0;
      // After a burst, let large arrays go rather than keep their slots for good.
      if (this.keys.length > 1024) {
        this.keys = [];
        this.slots = [];
      }
      return entry;
    }
    if (at === this.head) {
      let head = at + 1;
      while (slots[head] === undefined) head++;
      this.head = head;
    }
    // Holes behind a live entry that stays (e.g. a QoS 2 flow among QoS 1 ones): compact now and then.
    if (this.end - this.head > 2 * this.live + 16) this.compact();
    return entry;
  }

  /** Every entry, oldest key first (the side map's after), then empties the table. */
  drain(): T[] {
    const out: T[] = [];
    for (let i = this.head; i < this.end; i++) {
      const entry = this.slots[i];
      if (entry !== undefined) out.push(entry);
      this.slots[i] = undefined;
    }
    if (this.others !== undefined) for (const entry of this.others.values()) out.push(entry);
    this.head = 0;
    this.end = 0;
    this.live = 0;
    this.others = undefined;
    return out;
  }

  /** The array index of a live or emptied slot for `key`, or -1. */
  private indexOf(key: number): number {
    const keys = this.keys;
    let low = this.head;
    if (low < this.end && keys[low] === key) return low; // the usual case: the oldest is acknowledged
    let high = this.end - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const k = keys[mid] as number;
      if (k === key) return mid;
      if (k < key) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }

  /** Move the live entries to the front, in order (in place: no new arrays). */
  private compact(): void {
    const { keys, slots } = this;
    let to = 0;
    for (let from = this.head; from < this.end; from++) {
      const entry = slots[from];
      if (entry === undefined) continue;
      keys[to] = keys[from] as number;
      slots[to] = entry;
      to++;
    }
    for (let i = to; i < this.end; i++) slots[i] = undefined;
    this.head = 0;
    this.end = to;
  }
}
