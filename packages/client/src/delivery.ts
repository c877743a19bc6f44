import type { IncomingApplicationMessage } from "@amqtt/message";
import { topicMatches } from "@amqtt/message";
import { BoundedQueue } from "./offline-queue.js";

/** A reader waiting for the next message. */
interface Waiter {
  filter: string | undefined;
  resolve(message: IncomingApplicationMessage): void;
}

/**
 * Received messages on their way to the application. `deliverMessage` readers and
 * `messages(filter)` iterators take from one bounded queue; each message goes to
 * the first waiting reader whose filter matches, else it waits in the queue.
 * When the queue is full, `drop-oldest` (default) discards the oldest waiting
 * message and `drop-new` the arriving one; `onDrop` reports either.
 */
export class DeliveryQueue {
  private readonly queue: BoundedQueue<IncomingApplicationMessage>;
  private waiters: Waiter[] = [];

  constructor(
    maxMessages: number,
    policy: "drop-oldest" | "drop-new",
    private readonly onDrop: (message: IncomingApplicationMessage) => void,
  ) {
    const byCountOnly = Number.MAX_SAFE_INTEGER;
    this.queue = new BoundedQueue(
      maxMessages,
      byCountOnly,
      policy === "drop-new" ? "reject-new" : "drop-oldest",
    );
  }

  /** Messages waiting for a reader. */
  get length(): number {
    return this.queue.length;
  }

  /** A message arrived. */
  push(message: IncomingApplicationMessage): void {
    const index = this.waiters.findIndex(
      (w) => w.filter === undefined || topicMatches(w.filter, message.topic),
    );
    if (index >= 0) {
      // The oldest reader usually takes it: shift, which allocates no array as splice does.
      const waiter = index === 0 ? this.waiters.shift() : this.waiters.splice(index, 1)[0];
      waiter?.resolve(message);
      return;
    }
    for (const dropped of this.queue.push(message, 0)) this.onDrop(dropped);
  }

  /**
   * The next message matching `filter` (any message when undefined): taken from the
   * queue, or waited for. `cancel` removes the wait (abort, timeout, close).
   */
  take(filter: string | undefined): { promise: Promise<IncomingApplicationMessage>; cancel(): void } {
    const queued = this.takeQueued(filter);
    if (queued !== undefined) return { promise: Promise.resolve(queued), cancel: () => {} };
    let token: object | undefined;
    const promise = new Promise<IncomingApplicationMessage>((resolve) => {
      token = this.wait(filter, resolve);
    });
    return { promise, cancel: () => this.cancelWait(token as object) };
  }

  /** Take a queued message matching `filter` now, if there is one. */
  takeQueued(filter: string | undefined): IncomingApplicationMessage | undefined {
    if (filter === undefined) return this.queue.shift();
    // A filtered reader takes the oldest match and leaves the others queued.
    const all = this.queue.drain();
    const index = all.findIndex((m) => topicMatches(filter, m.topic));
    const found = index >= 0 ? all.splice(index, 1)[0] : undefined;
    for (const m of all) this.queue.push(m, 0);
    return found;
  }

  /**
   * Call `deliver` with the next arriving message matching `filter` (any when
   * undefined), once; `cancelWait` with the returned token withdraws the wait. The
   * caller has looked at the queue first (`takeQueued`). No promise: a reader that
   * settles its own (the `messages()` iterator) pays for one only.
   */
  wait(filter: string | undefined, deliver: (message: IncomingApplicationMessage) => void): object {
    const waiter: Waiter = { filter, resolve: deliver };
    this.waiters.push(waiter);
    return waiter;
  }

  /** Withdraw a wait made by `wait` (no effect once it was served). */
  cancelWait(token: object): void {
    const index = this.waiters.indexOf(token as Waiter);
    if (index >= 0) this.waiters.splice(index, 1);
  }
}
