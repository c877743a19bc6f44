/** Longest list a {@link ScratchList} keeps for reuse; a longer one is dropped, so a burst does not pin its backing store. */
export const SCRATCH_LIST_MAX_KEPT = 64;

/**
 * One reused list for a machine's answer that is read at once and dropped (the
 * QoS machines' actions while a flow maps them). A new array with its first
 * push costs about 185 bytes on V8 (17 slots); emptying it with `pop` keeps its
 * slots, `length = 0` would not.
 *
 * Lent to one caller at a time: a nested `take` while it is out gets a new list,
 * and a caller that never gives it back (it threw) only costs later callers that
 * allocation.
 */
export class ScratchList<T> {
  private list: T[] = [];
  private lent = false;

  /** The reused list (empty), or a new one while it is lent out. */
  take(): T[] {
    if (this.lent) return [];
    this.lent = true;
    return this.list;
  }

  /** Done with `list`: emptied and kept when it is the reused one (a new one once it grew past the bound). */
  give(list: T[]): void {
    if (list !== this.list) return;
    if (list.length > SCRATCH_LIST_MAX_KEPT) this.list = [];
    else while (list.length > 0) list.pop();
    this.lent = false;
  }
}
