/**
 * A map from topic filter to `V` that holds its first entry in two fields and
 * makes a `Map` only for a second one. Most sessions subscribe to one filter,
 * and a `Map` with one entry costs about 200 bytes of heap per session (its
 * hash table) against 16 here. Iterates in insertion order, like a `Map`.
 */
export class FilterMap<V> implements Iterable<[string, V]> {
  /** The single entry while there is no `map` (`undefined` key: empty). */
  #key: string | undefined;
  #value: V | undefined;
  /** Every entry once a second one was set (kept when it shrinks again). */
  #map: Map<string, V> | undefined;

  /** Number of entries. */
  get size(): number {
    if (this.#map !== undefined) return this.#map.size;
    return this.#key === undefined ? 0 : 1;
  }

  /** Whether a map was made (for tests of the single-entry form). */
  get holdsMap(): boolean {
    return this.#map !== undefined;
  }

  /** The value for `key`, or `undefined`. */
  get(key: string): V | undefined {
    if (this.#map !== undefined) return this.#map.get(key);
    return key === this.#key ? this.#value : undefined;
  }

  /** Whether `key` has an entry. */
  has(key: string): boolean {
    if (this.#map !== undefined) return this.#map.has(key);
    return key === this.#key;
  }

  /** Set `key` to `value` (an existing key keeps its place in the order). */
  set(key: string, value: V): this {
    if (this.#map !== undefined) this.#map.set(key, value);
    else if (this.#key === undefined || this.#key === key) {
      this.#key = key;
      this.#value = value;
    } else {
      this.#map = new Map([[this.#key, this.#value as V]]);
      this.#map.set(key, value);
      this.#key = undefined;
      this.#value = undefined;
    }
    return this;
  }

  /** Remove `key`; true when it had an entry. */
  delete(key: string): boolean {
    if (this.#map !== undefined) return this.#map.delete(key);
    if (this.#key !== key) return false;
    this.#key = undefined;
    this.#value = undefined;
    return true;
  }

  /** Remove every entry (and the map, if one was made). */
  clear(): void {
    this.#map = undefined;
    this.#key = undefined;
    this.#value = undefined;
  }

  /** The filters, in insertion order. */
  *keys(): IterableIterator<string> {
    for (const [key] of this) yield key;
  }

  /** The values, in insertion order. */
  *values(): IterableIterator<V> {
    for (const [, value] of this) yield value;
  }

  /** The entries, in insertion order. */
  *[Symbol.iterator](): IterableIterator<[string, V]> {
    if (this.#map !== undefined) {
      yield* this.#map;
      return;
    }
    if (this.#key !== undefined) yield [this.#key, this.#value as V];
  }
}
