import { RouteSyncTimeoutError } from "@amqtt/cluster";

/** Most route changes of this node waiting for confirmations at once (each also ends at its timeout). */
export const MAX_ROUTE_WAITERS = 10_000;

interface Waiter {
  readonly seq: number;
  readonly missing: Set<string>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The route-version barrier of one node. Every route change this node
 * publishes carries a sequence number; every other node, once its replica has
 * applied the change (pub/sub keeps one publisher's order, so it has applied
 * every earlier change too), publishes that number back on this node's ack
 * channel. {@link wait} resolves when each node named has confirmed the number
 * (or a later one), rejects with `RouteSyncTimeoutError` after `timeoutMs`.
 */
export class RouteConfirmations {
  private seq = 0;
  /** Highest sequence number each node confirmed. */
  private readonly confirmed = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();

  constructor(
    private readonly timeoutMs: number,
    private readonly maxWaiters = MAX_ROUTE_WAITERS,
  ) {}

  /** The sequence number of the next change this node publishes. */
  next(): number {
    return ++this.seq;
  }

  /** Waiters now (for tests of the bound). */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Resolves once every node of `nodes` confirmed `seq`. */
  wait(seq: number, nodes: Iterable<string>): Promise<void> {
    const missing = new Set<string>();
    for (const node of nodes) if ((this.confirmed.get(node) ?? 0) < seq) missing.add(node);
    if (missing.size === 0) return Promise.resolve();
    if (this.waiters.size >= this.maxWaiters) return Promise.reject(new RouteSyncTimeoutError([...missing]));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        seq,
        missing,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new RouteSyncTimeoutError([...missing]));
        }, this.timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** `node` has applied this node's changes up to `seq`. */
  confirm(node: string, seq: number): void {
    if (seq > (this.confirmed.get(node) ?? 0)) this.confirmed.set(node, seq);
    for (const waiter of this.waiters) if (seq >= waiter.seq) this.settle(waiter, node);
  }

  /** `node` is gone: nobody waits for it any more (its routes are dropped everywhere). */
  forget(node: string): void {
    this.confirmed.delete(node);
    for (const waiter of this.waiters) this.settle(waiter, node);
  }

  /** Every waiter fails (the node stops). */
  close(): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new RouteSyncTimeoutError([...waiter.missing]));
    }
    this.waiters.clear();
    this.confirmed.clear();
  }

  private settle(waiter: Waiter, node: string): void {
    if (!waiter.missing.delete(node) || waiter.missing.size > 0) return;
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
    waiter.resolve();
  }
}
