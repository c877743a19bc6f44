import type { EnqueueResult } from "@amqtt/store";
import type { EncodedEntry } from "./entry.js";
import type { ClientKeys } from "./keys.js";

interface Waiter {
  resolve(result: EnqueueResult): void;
  reject(error: unknown): void;
}

interface Batch {
  clientId: string;
  keys: ClientKeys;
  entries: EncodedEntry[];
  waiters: Waiter[];
}

/** Sends one enqueue script call for the entries of one client; resolves with accepted, dropped per entry. @internal */
export type SendEnqueues = (clientId: string, keys: ClientKeys, entries: EncodedEntry[]) => Promise<number[]>;

/**
 * Coalesces consecutive enqueues for one client into one script call: a broker
 * turn that queues 100 messages for an offline client sends one EVALSHA, not
 * 100. The batch goes out at the end of the current synchronous run (a
 * microtask), before any other call of the store (the store calls
 * {@link EnqueueBatch.send} first, so call order holds), when the next enqueue
 * is for another client, or when it holds `maxEntries`. @internal
 */
export class EnqueueBatch {
  private current: Batch | undefined;

  constructor(
    private readonly sendEntries: SendEnqueues,
    private readonly maxEntries: number,
  ) {}

  /** Entries waiting to be sent (at most `maxEntries`). */
  get waiting(): number {
    return this.current?.entries.length ?? 0;
  }

  /** Add one entry; resolves with what the script did with it. */
  add(clientId: string, keys: ClientKeys, entry: EncodedEntry): Promise<EnqueueResult> {
    let batch = this.current;
    if (batch !== undefined && (batch.clientId !== clientId || batch.entries.length >= this.maxEntries)) {
      this.send();
      batch = undefined;
    }
    if (batch === undefined) {
      const fresh: Batch = { clientId, keys, entries: [], waiters: [] };
      this.current = fresh;
      queueMicrotask(() => {
        if (this.current === fresh) this.send();
      });
      batch = fresh;
    }
    batch.entries.push(entry);
    const waiters = batch.waiters;
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  }

  /** Send the waiting entries now, if any. */
  send(): void {
    const batch = this.current;
    if (batch === undefined) return;
    this.current = undefined;
    let reply: Promise<number[]>;
    try {
      reply = this.sendEntries(batch.clientId, batch.keys, batch.entries);
    } catch (error) {
      for (const waiter of batch.waiters) waiter.reject(error);
      return;
    }
    reply.then(
      (results) => {
        batch.waiters.forEach((waiter, i) => {
          waiter.resolve({ accepted: results[2 * i] === 1, dropped: results[2 * i + 1] ?? 0 });
        });
      },
      (error: unknown) => {
        for (const waiter of batch.waiters) waiter.reject(error);
      },
    );
  }
}
