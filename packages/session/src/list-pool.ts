/**
 * Reused arrays for answers that are read at once and dropped (a machine's
 * actions while its caller carries them out or maps them). A new array with
 * its first push costs about 185 bytes on V8 (17 slots); emptying one with
 * `pop` keeps its slots, `length = 0` would not (issue 19).
 *
 * A list is taken for one synchronous use and given back emptied; a use nested
 * inside another takes its own. Bounded: at most `maxFree` lists wait for reuse,
 * and one longer than `maxKept` is dropped, so a burst does not pin its slots. A
 * list never given back (its user threw) is only lost: the next take makes one.
 */
export class ListPool<T> {
  private readonly free: T[][] = [];

  /**
   * @param maxFree Lists kept for reuse at most (one per nesting level that should reuse).
   * @param maxKept Longest list kept; a longer one is dropped when given back.
   */
  constructor(
    readonly maxFree: number,
    readonly maxKept: number,
  ) {}

  /** An empty list. */
  take(): T[] {
    return this.free.pop() ?? [];
  }

  /** Done with `list`: emptied and kept for the next take (within the bounds). */
  give(list: T[]): void {
    if (list.length > this.maxKept || this.free.length >= this.maxFree) return;
    while (list.length > 0) list.pop();
    this.free.push(list);
  }

  /** Lists waiting for reuse (for tests of the bound). */
  get kept(): number {
    return this.free.length;
  }
}
