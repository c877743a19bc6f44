import { performance } from "node:perf_hooks";
import type { Logger } from "@amqtt/broker";

/** A named lease as a cluster engine answers it (the shape of `@amqtt/cluster`'s `NamedLease`). */
export interface BridgeLease {
  readonly nodeId: string;
  readonly epoch: number;
  readonly info: string | undefined;
}

/**
 * What a bridge needs from the cluster engine: named leases (a structural
 * subset of `@amqtt/cluster`'s `ClusterBus`, so this package does not depend
 * on the cluster packages; pass the broker's bus).
 */
export interface BridgeLeaseEngine {
  /** This node's id in the cluster. */
  readonly nodeId: string;
  acquireLease?(name: string, ttlMs: number, info?: string): Promise<BridgeLease>;
  releaseLease?(name: string, epoch: number): Promise<boolean>;
}

/** What a {@link LeaseKeeper} tells its bridge. */
export interface LeaseHandlers {
  /** This node holds the lease now (a new term: `epoch`). */
  gained(epoch: number): void;
  /** This node no longer holds it (taken, lapsed, or not renewed before the local deadline). */
  lost(): void;
}

/**
 * Takes and keeps one named lease (`bridge:<name>`) for this node: asks the
 * engine every third of `ttlMs`, so a live holder renews twice before it could
 * lapse, and another node takes it within `ttlMs` of the holder's death.
 *
 * Fencing: the holder counts its lease as valid only until a local deadline,
 * `ttlMs` minus a tenth after it sent the request that renewed it, on its own
 * monotonic clock. The engine set the expiry later than that request left, so
 * the local deadline passes before the engine's: a holder that stalls
 * (SIGSTOP, a long GC pause, a partition from the engine) finds {@link valid}
 * false when it runs again, before any other node could have taken the lease.
 */
export class LeaseKeeper {
  private holding = false;
  private epoch = 0;
  private deadline = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private ticking: Promise<void> = Promise.resolve();
  /** The holder as last answered by the engine (this node or another), for status. */
  holder: BridgeLease | undefined;

  constructor(
    private readonly engine: BridgeLeaseEngine & Required<Pick<BridgeLeaseEngine, "acquireLease">>,
    readonly name: string,
    private readonly ttlMs: number,
    private readonly handlers: LeaseHandlers,
    /** What to attach to each take or renewal (this node's status for the others). */
    private readonly info: () => string,
    private readonly logger: Logger,
  ) {}

  /** True while this node holds the lease and its local deadline has not passed. */
  valid(): boolean {
    return this.holding && performance.now() < this.deadline;
  }

  /** Start asking for the lease (the first request goes now). */
  start(): void {
    this.schedule(0);
  }

  /** Stop asking; a held lease is released so another node takes it at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.ticking;
    const epoch = this.epoch;
    const held = this.holding;
    this.drop();
    if (held) await this.engine.releaseLease?.(this.name, epoch).catch(() => false);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick();
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const sentAt = performance.now();
    try {
      const lease = await this.engine.acquireLease(this.name, this.ttlMs, this.info());
      if (this.stopped) {
        if (lease.nodeId === this.engine.nodeId)
          await this.engine.releaseLease?.(this.name, lease.epoch).catch(() => false);
        return;
      }
      this.holder = lease;
      if (lease.nodeId !== this.engine.nodeId) {
        this.drop();
      } else {
        // The same epoch renews this term; a new one means the lease lapsed in between.
        if (this.holding && lease.epoch !== this.epoch) this.drop();
        this.deadline = sentAt + this.ttlMs * 0.9;
        this.armDeadline();
        if (!this.holding) {
          this.holding = true;
          this.epoch = lease.epoch;
          this.handlers.gained(lease.epoch);
        }
      }
    } catch (error) {
      // The engine did not answer: the lease counts until its local deadline, no longer.
      this.logger.warn(
        `bridge lease ${this.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.schedule(Math.max(1, Math.floor(this.ttlMs / 3)));
  }

  private armDeadline(): void {
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(
      () => {
        // A timer may fire a little early: check again then.
        if (!this.valid()) this.drop();
        else if (this.holding) this.armDeadline();
      },
      Math.max(0, this.deadline - performance.now()),
    );
    this.deadlineTimer.unref();
  }

  private drop(): void {
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    if (!this.holding) return;
    this.holding = false;
    this.handlers.lost();
  }
}
