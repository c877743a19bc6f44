/** One call waiting for the engine. */
interface Pending {
  readonly deadline: number;
  settled: boolean;
  readonly expire: () => void;
}

/**
 * A hard bound on every engine call, on top of ioredis' `commandTimeout` (which
 * a Redis Cluster's redirects and slot refreshes can stretch): calls are queued
 * in the order they start, all with the same timeout, so their deadlines are
 * ordered too; one timer sweeps the head of the queue. No timer per call.
 */
export class Deadlines {
  private readonly queue: Pending[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsettled = 0;

  constructor(private readonly timeoutMs: number) {}

  /** Calls started and not settled yet. */
  get inFlight(): number {
    return this.unsettled;
  }

  /** `promise`, or a rejection with `onTimeout()` once `timeoutMs` has passed. */
  bound<T>(promise: Promise<T>, onTimeout: () => Error): Promise<T> {
    this.unsettled++;
    const settle = () => {
      this.unsettled--;
    };
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        deadline: Date.now() + this.timeoutMs,
        settled: false,
        expire: () => {
          settle();
          reject(onTimeout());
        },
      };
      this.queue.push(entry);
      this.arm();
      promise.then(
        (value) => {
          if (entry.settled) return;
          entry.settled = true;
          settle();
          resolve(value);
        },
        (error: unknown) => {
          if (entry.settled) return;
          entry.settled = true;
          settle();
          reject(error);
        },
      );
    });
  }

  /** Stops the sweeper (pending calls settle through their own commands). */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.sweep(), Math.max(10, Math.floor(this.timeoutMs / 4)));
    this.timer.unref();
  }

  private sweep(): void {
    const now = Date.now();
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head] as Pending;
      if (!entry.settled && entry.deadline > now) break;
      if (!entry.settled) {
        entry.settled = true;
        entry.expire();
      }
      this.head++;
    }
    // Compact now and then; stop the timer when nothing waits.
    if (this.head > 1024 || this.head === this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.queue.length === 0) this.close();
  }
}

/** `promise`, or a rejection with `new Error(what)` after `ms` (one timer: for rare calls such as a start). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
