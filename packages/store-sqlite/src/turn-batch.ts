import type Database from "better-sqlite3";

/**
 * Group commit: the first write of an event-loop turn opens a transaction, every
 * write runs in it at once (so reads on the same connection see it), and the
 * transaction commits on `setImmediate`, after the turn's other callbacks. A
 * crash keeps whole turns in order, so storage always holds a prefix of the
 * writes. A batch also commits early at `maxWrites` writes, which bounds the
 * work held in one transaction.
 * @internal
 */
export class TurnBatch {
  /** Transactions committed so far. */
  commits = 0;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private writes = 0;
  private timer: NodeJS.Immediate | undefined;
  private committed: Promise<void> | undefined;
  private settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly maxWrites: number,
    /** Called when a commit or a write failure lost writes that were already reported as applied. */
    private readonly onFailure: (error: unknown) => void,
    /** Called right after a batch opens, holding the write lock (to refresh cached counters). */
    private readonly onBegin: () => void = () => {},
  ) {
    // IMMEDIATE takes the write lock at BEGIN, so a commit never fails on an upgrade.
    this.begin = db.prepare("BEGIN IMMEDIATE");
    this.commit = db.prepare("COMMIT");
    this.rollback = db.prepare("ROLLBACK");
  }

  /** True while a batch is open (writes not yet committed). */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  /**
   * Run `write`, one SQL statement, in the current batch (opening one if
   * needed). SQLite undoes a failed statement by itself, so a write that throws
   * leaves nothing behind and the batch goes on.
   */
  run<T>(write: () => T): T {
    return this.apply(write);
  }

  /**
   * Run `write`, several SQL statements, in the current batch, as one unit: a
   * savepoint rolls all of them back when one throws.
   */
  runAtomic<T>(write: () => T): T {
    // Inside an open transaction better-sqlite3 runs this as a SAVEPOINT.
    return this.apply(this.db.transaction(write));
  }

  /**
   * Open a batch if none is open. Writers call it before they read the state
   * they decide on, so no other connection can change that state until the commit.
   */
  open(): void {
    if (this.timer !== undefined) return;
    this.begin.run();
    this.writes = 0;
    this.timer = setImmediate(() => this.commitNow());
    this.onBegin();
  }

  private apply<T>(write: () => T): T {
    this.open();
    let result: T;
    try {
      result = write();
    } catch (error) {
      // Some errors (disk full, I/O) make SQLite roll back the whole transaction:
      // the turn's earlier writes are gone, so the store cannot go on.
      if (!this.db.inTransaction) this.fail(error);
      throw error;
    }
    if (++this.writes >= this.maxWrites) this.commitNow();
    return result;
  }

  /** Resolves once every write run so far is committed. */
  flush(): Promise<void> {
    if (this.timer === undefined) return Promise.resolve();
    if (this.committed === undefined) {
      this.committed = new Promise<void>((resolve, reject) => {
        this.settle = { resolve, reject };
      });
    }
    return this.committed;
  }

  /**
   * Commit the open batch now, if any. A failed commit is rolled back, rejects
   * the waiting `flush()` and is reported to `onFailure`.
   */
  commitNow(): void {
    if (this.timer === undefined) return;
    clearImmediate(this.timer);
    this.timer = undefined;
    const settle = this.settle;
    this.settle = undefined;
    this.committed = undefined;
    try {
      this.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      settle?.reject(error);
      this.fail(error);
      return;
    }
    this.commits++;
    settle?.resolve();
  }

  private fail(error: unknown): void {
    if (this.timer !== undefined) {
      clearImmediate(this.timer);
      this.timer = undefined;
    }
    const settle = this.settle;
    this.settle = undefined;
    this.committed = undefined;
    settle?.reject(error);
    this.onFailure(error);
  }
}
