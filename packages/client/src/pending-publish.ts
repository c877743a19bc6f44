import type { OutgoingApplicationMessage } from "@amqtt/message";
import type { Clock } from "./clock.js";
import { guard, type WaitLimits } from "./waiting.js";

/** A publish waiting for its QoS flow to complete (or for a connection, in the offline queue). */
export interface PendingPublish {
  readonly message: OutgoingApplicationMessage;
  /** The promise `publish` returned. */
  readonly promise: Promise<OutgoingApplicationMessage>;
  /** Settle with the message; no effect once settled. */
  resolve(message: OutgoingApplicationMessage): void;
  /** Settle with an error; no effect once settled. */
  reject(error: Error): void;
  /** Whether it is settled (an abort or a deadline may have settled it). */
  done(): boolean;
}

type Resolve = (message: OutgoingApplicationMessage) => void;
type Reject = (error: Error) => void;

// One shared executor takes the promise's functions out, so a publish allocates no
// closure of its own for `new Promise` (thousands can be in flight at once).
let takenResolve: Resolve | undefined;
let takenReject: Reject | undefined;
function take(resolve: Resolve, reject: Reject): void {
  takenResolve = resolve;
  takenReject = reject;
}

/**
 * The hot path: a publish with no abort signal and no deadline. It settles once,
 * and holds no listener, timer or closure.
 */
export class PlainPendingPublish implements PendingPublish {
  readonly promise: Promise<OutgoingApplicationMessage>;
  private readonly resolveFn: Resolve;
  private readonly rejectFn: Reject;
  private settled = false;

  constructor(readonly message: OutgoingApplicationMessage) {
    this.promise = new Promise(take);
    this.resolveFn = takenResolve as Resolve;
    this.rejectFn = takenReject as Reject;
  }

  resolve(message: OutgoingApplicationMessage): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveFn(message);
  }

  reject(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectFn(error);
  }

  done(): boolean {
    return this.settled;
  }
}

/**
 * A pending publish with an abort signal and/or a deadline. `onGiveUp` runs when
 * one of them wins, to take the entry out of where it waits.
 */
export function guardedPendingPublish(
  message: OutgoingApplicationMessage,
  clock: Clock,
  limits: WaitLimits,
  onGiveUp: (entry: PendingPublish) => void,
): PendingPublish {
  const promise = new Promise<OutgoingApplicationMessage>(take);
  const entry: PendingPublish = {
    message,
    promise,
    ...guard(clock, limits, takenResolve as Resolve, takenReject as Reject, () => onGiveUp(entry)),
  };
  return entry;
}
