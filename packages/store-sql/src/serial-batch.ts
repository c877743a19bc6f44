import { StoreClosedError } from "@amqtt/store";
import type { SqlConnection } from "./connection.js";
import { StoreBusyError } from "./errors.js";

type Work = (connection: SqlConnection) => Promise<unknown>;

type Task =
  | {
      kind: "read" | "write";
      work: Work;
      resolve: (value: unknown) => void;
      reject: (error: unknown) => void;
    }
  | { kind: "flush"; resolve: (value: unknown) => void; reject: (error: unknown) => void };

/** What {@link SerialBatch} needs from its store. @internal */
export interface SerialBatchOptions {
  /** Open a new session (after the first one, when the previous one broke while nothing was uncommitted). */
  connect(): Promise<SqlConnection>;
  /** Runs right after `BEGIN`, before the batch's first write (the store takes its write lock there). */
  begin(connection: SqlConnection): Promise<void>;
  /** Writes after which a batch commits without waiting for the queue to empty. */
  maxBatchWrites: number;
  /** Calls waiting at most; more reject at once with `StoreBusyError`. */
  maxPending: number;
  /** The batch that held reported writes is lost: the store must stop (see {@link SerialBatch}). */
  onFailure(error: unknown): void;
}

const isConnectionError = (error: unknown): boolean =>
  (error as { name?: unknown } | undefined)?.name === "StoreConnectionError";

/**
 * Every call of a store, in call order, on one database session, with group
 * commit: the first write opens a transaction (so later reads on the session see
 * it), every following call joins it, and it commits once no call is waiting
 * after a turn of the event loop, or after `maxBatchWrites` writes. `flush()`
 * resolves after the commit that holds every earlier write. Transactions commit
 * one after another on one session, so the database always holds a prefix of
 * the writes.
 *
 * A write that fails with nothing uncommitted (it never applied) makes every
 * `flush()` behind it reject until the queue runs dry: a flush must not vouch
 * for a write that was lost.
 *
 * A failure inside a transaction that already ran a write (a lost connection,
 * a timeout, a failed commit) loses writes that were reported as applied:
 * going on would break the prefix rule, so the batch fails for good (every
 * waiting and later call rejects). A broken session with nothing uncommitted
 * loses nothing: the call rejects with `StoreConnectionError` and the next call
 * connects again.
 * @internal
 */
export class SerialBatch {
  /** Transactions committed so far. */
  commits = 0;
  /** Sessions opened so far (the first, and one after each broken one). */
  sessionsOpened = 0;
  /** Why the batch failed for good, once it has. */
  failure: unknown;
  private readonly tasks: Task[] = [];
  private head = 0;
  private running = false;
  private connection: SqlConnection | undefined;
  private inTransaction = false;
  private writes = 0;
  private readonly flushes: Task[] = [];
  // The call being run (taken off the queue, not yet settled).
  private inFlight = 0;
  // A write that failed with nothing uncommitted (it was not applied): every flush
  // until the queue next runs dry rejects with its error, so nothing is acknowledged
  // as durable while a write before it was lost.
  private failedWrite: unknown;

  constructor(private readonly options: SerialBatchOptions) {}

  /** Calls waiting or running. */
  get pending(): number {
    return this.tasks.length - this.head + this.inFlight + this.flushes.length;
  }

  /** True while a transaction holds writes not yet committed. */
  get uncommitted(): boolean {
    return this.inTransaction && this.writes > 0;
  }

  /** Queue a read; it sees every earlier write. */
  read<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    return this.submit("read", work) as Promise<T>;
  }

  /** Queue a write; it joins the current transaction. Rejects when the write fails (and then the batch). */
  write<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    return this.submit("write", work) as Promise<T>;
  }

  /** Resolves once every earlier write is committed. */
  flush(): Promise<void> {
    return this.submit("flush", undefined) as Promise<void>;
  }

  /** Commit what is pending, then close the session. Rejects when that commit fails. */
  async close(): Promise<void> {
    try {
      if (this.failure === undefined) await this.flush();
    } finally {
      const connection = this.connection;
      this.connection = undefined;
      await connection?.close();
    }
  }

  private submit(kind: Task["kind"], work: Work | undefined): Promise<unknown> {
    if (this.failure !== undefined) {
      return Promise.reject(new StoreClosedError(`${kind} after a lost batch`, { cause: this.failure }));
    }
    if (this.pending >= this.options.maxPending) {
      return Promise.reject(
        new StoreBusyError(`${this.options.maxPending} store calls are already waiting for the database`),
      );
    }
    return new Promise((resolve, reject) => {
      this.tasks.push(
        kind === "flush" ? { kind, resolve, reject } : { kind, work: work as Work, resolve, reject },
      );
      if (!this.running) void this.pump();
    });
  }

  private next(): Task | undefined {
    if (this.head === this.tasks.length) return undefined;
    const task = this.tasks[this.head++];
    // Drop the consumed front now and then, so the array does not grow for ever.
    if (this.head >= 1024) {
      this.tasks.splice(0, this.head);
      this.head = 0;
    }
    return task;
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.failure === undefined) {
        let task = this.next();
        if (task === undefined) {
          if (!this.inTransaction) {
            this.failedWrite = undefined;
            break;
          }
          // Let the calls of this turn join the batch before it commits.
          await new Promise((resolve) => setImmediate(resolve));
          task = this.next();
          if (task === undefined) {
            await this.commit();
            continue;
          }
        }
        this.inFlight = 1;
        try {
          await this.run(task);
        } finally {
          this.inFlight = 0;
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async run(task: Task): Promise<void> {
    if (task.kind === "flush") {
      if (this.failedWrite !== undefined) task.reject(this.failedWrite);
      else if (this.uncommitted) this.flushes.push(task);
      else task.resolve(undefined);
      return;
    }
    try {
      const connection = await this.session();
      if (task.kind === "write" && !this.inTransaction) {
        await connection.query("BEGIN");
        this.inTransaction = true;
        this.writes = 0;
        await this.options.begin(connection);
      }
      const result = await task.work(connection);
      task.resolve(result);
      if (task.kind === "write" && ++this.writes >= this.options.maxBatchWrites) await this.commit();
    } catch (error) {
      task.reject(error);
      if (this.uncommitted) this.fail(error);
      else {
        if (task.kind === "write") this.failedWrite = error;
        await this.abandonTransaction(error);
      }
    }
  }

  /** A failed call with nothing uncommitted: undo an empty transaction, drop a broken session. */
  private async abandonTransaction(error: unknown): Promise<void> {
    const connection = this.connection;
    if (this.inTransaction && connection !== undefined && !connection.lost) {
      await connection.query("ROLLBACK").catch(() => {});
    }
    this.inTransaction = false;
    if (connection !== undefined && (connection.lost || isConnectionError(error))) {
      this.connection = undefined;
      await connection.close();
    }
  }

  private async session(): Promise<SqlConnection> {
    const broken = this.connection;
    if (broken?.lost) {
      this.connection = undefined;
      await broken.close();
    }
    if (this.connection === undefined) {
      this.connection = await this.options.connect();
      this.sessionsOpened++;
    }
    return this.connection;
  }

  private async commit(): Promise<void> {
    const flushes = this.flushes.splice(0);
    const connection = this.connection;
    try {
      if (connection === undefined) throw new Error("no session to commit on");
      await connection.query("COMMIT");
    } catch (error) {
      for (const flush of flushes) flush.reject(error);
      this.fail(error);
      return;
    }
    this.inTransaction = false;
    this.commits++;
    for (const flush of flushes) flush.resolve(undefined);
  }

  /** Writes reported as applied are lost: reject everything, close the session, refuse later calls. */
  private fail(error: unknown): void {
    this.failure = error;
    this.inTransaction = false;
    for (const flush of this.flushes.splice(0)) flush.reject(error);
    while (this.head < this.tasks.length) {
      const task = this.tasks[this.head++] as Task;
      // A flush called before the failure waited for lost writes: it hears why.
      if (task.kind === "flush") task.reject(error);
      else task.reject(new StoreClosedError(`${task.kind} after a lost batch`, { cause: error }));
    }
    this.tasks.length = 0;
    this.head = 0;
    const connection = this.connection;
    this.connection = undefined;
    // The server rolls back an open transaction of a closed session.
    void connection?.close();
    this.options.onFailure(error);
  }
}
