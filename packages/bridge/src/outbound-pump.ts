import type { MQTTClient } from "@amqtt/client";
import type { QueueEntry } from "@amqtt/store";
import type { EchoGuard } from "./echo-guard.js";
import { Notifier } from "./notifier.js";
import type { DurableOutbox } from "./outbox.js";

/** Entries read from the store ahead of sending, at most (besides those in flight). */
const READ_AHEAD = 256;

interface InFlight {
  seq: number;
  done: boolean;
}

/**
 * What the previous run (or the previous client) left of an entry: `done`
 * (the remote acknowledged it, or it is a QoS 0 entry written already; the
 * queue had not removed it), `restored` (in
 * flight, handed to the new client's restored session, which resends it with
 * its original packet id), or nothing (send it).
 */
export type PriorState = "done" | "restored" | undefined;

/** Counters of the outbound side. */
export interface PumpCounters {
  /** Messages the remote acknowledged (QoS 1/2) or that were written (QoS 0). */
  sent: number;
  /** Messages whose Message Expiry Interval passed while they waited. */
  expired: number;
  /** Messages the client could not send (too large for the remote, ...), dropped. */
  failed: number;
}

/**
 * Moves the outbound queue to the remote while it is connected: reads ahead
 * from the store, keeps at most `maxInflight` messages unacknowledged, and
 * removes an entry from the store only when it and every earlier one were
 * acknowledged (so the queue always starts with the oldest unacknowledged
 * message, and a restart sends from there: at least once, in order).
 *
 * Design: one client per connection lifetime. The client resends its own
 * in-flight messages after a reconnect (persistent session), so entries
 * handed to it are not read again; a new client (after the remote refused us,
 * or a restart) starts again from the front of the queue. With an outbound
 * ledger (`prior`), an entry the remote already acknowledged is not sent
 * again, and one still in flight is resent by the new client's restored
 * session with its original packet id; `restoredDone` finishes it.
 */
export class OutboundPump {
  readonly counters: PumpCounters = { sent: 0, expired: 0, failed: 0 };
  private readonly wake = new Notifier();
  private readonly slot = new Notifier();
  private inflight: InFlight[] = [];
  private ahead: QueueEntry[] = [];
  private lastRead = 0;
  private client: MQTTClient | undefined;
  private generation = 0;
  private acking: Promise<void> = Promise.resolve();
  /** The highest seq whose prefix is acknowledged and not yet removed from the store. */
  private ackThrough = 0;
  private ackScheduled = false;

  constructor(
    private readonly outbox: DurableOutbox,
    private readonly maxInflight: number,
    private readonly echo: EchoGuard | undefined,
    private readonly onError: (error: unknown) => void,
    /** Checked before every send: false stops sending (a cluster node whose bridge lease is no longer valid). */
    private readonly maySend: () => boolean = () => true,
    /**
     * With nothing queued, look at the store again after this many ms even
     * without a local `queued()` (in a cluster other nodes append to the queue);
     * 0: wait for `queued()` only.
     */
    private readonly pollMs = 0,
    /** What an earlier run left of an entry (the outbound ledger); none: send everything. */
    private readonly prior: (seq: number) => PriorState = () => undefined,
    /** The queue removed every entry through `seq`. */
    private readonly removed: (throughSeq: number) => void = () => {},
  ) {}

  /** Entries handed to the client and not yet written, by payload (the client's `beforeSend` sees the same array). */
  private readonly sending = new Map<Uint8Array, number>();
  /** Slots of entries resent by a restored session, by seq: finished by {@link restoredDone}. */
  private readonly restored = new Map<number, InFlight>();

  /** Messages handed to the client and not yet acknowledged. */
  get inFlight(): number {
    return this.inflight.length;
  }

  /** A message was queued: send it if connected. */
  queued(): void {
    this.wake.notify();
  }

  /** The remote is connected through `client`: start sending. */
  start(client: MQTTClient): void {
    if (client !== this.client) {
      // A new client has no session of ours: everything unacknowledged is read again.
      this.client = client;
      this.inflight = [];
      this.ahead = [];
      this.lastRead = 0;
      this.sending.clear();
      this.restored.clear();
      this.outbox.rewind();
    }
    const generation = ++this.generation;
    this.run(client, generation).catch(this.onError);
  }

  /** The remote is gone: stop sending (what is in flight stays with the client). */
  pause(): void {
    this.generation++;
    this.wake.notify();
    this.slot.notify();
  }

  /** The seq of the entry whose PUBLISH carries `payload`, if it is being sent for the first time. */
  sendingSeq(payload: Uint8Array): number | undefined {
    return this.sending.get(payload);
  }

  /** The remote acknowledged entry `seq`, which a restored session had resent. */
  restoredDone(seq: number): void {
    const slot = this.restored.get(seq);
    if (slot === undefined) return;
    this.restored.delete(seq);
    this.counters.sent++;
    this.finish(slot);
  }

  /** Resolves once the store removed every entry acknowledged so far. */
  settled(): Promise<void> {
    return this.acking;
  }

  private async run(client: MQTTClient, generation: number): Promise<void> {
    while (generation === this.generation) {
      if (this.ahead.length === 0) {
        const want = this.inflight.length + READ_AHEAD;
        const entries = await this.outbox.peek(want);
        if (generation !== this.generation) return;
        for (const e of entries) if (e.seq > this.lastRead) this.ahead.push(e);
        if (this.ahead.length === 0) {
          if (entries.length >= want) {
            // The front is all acknowledged entries the store has not removed yet: newer
            // ones lie behind them. Idling here waited for a `queued()` that may never
            // come (a queue filled before the start, or a publisher that stopped).
            await this.acking;
            continue;
          }
          await this.idle();
          continue;
        }
        this.lastRead = (this.ahead[this.ahead.length - 1] as QueueEntry).seq;
      }
      while (this.ahead.length > 0 && this.inflight.length < this.maxInflight) {
        // Fenced: a node that lost the bridge's lease sends nothing more (the next holder starts from the store).
        if (!this.maySend()) return;
        this.send(client, this.ahead.shift() as QueueEntry);
      }
      if (this.inflight.length >= this.maxInflight) await this.slot.wait();
    }
  }

  /** Wait for `queued()`, or at most `pollMs` when polling. */
  private idle(): Promise<void> {
    if (this.pollMs <= 0) return this.wake.wait();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.pollMs);
      this.wake.wait().then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private send(client: MQTTClient, entry: QueueEntry): void {
    const slot: InFlight = { seq: entry.seq, done: false };
    this.inflight.push(slot);
    const prior = this.prior(entry.seq);
    if (prior === "done") {
      // Acknowledged before our restart: only its removal from the queue was lost.
      this.counters.sent++;
      this.finish(slot);
      return;
    }
    if (prior === "restored") {
      this.restored.set(entry.seq, slot);
      return;
    }
    let properties = entry.properties;
    if (entry.expiresAt !== undefined) {
      const left = Math.ceil((entry.expiresAt - Date.now()) / 1000);
      if (left <= 0) {
        this.counters.expired++;
        this.finish(slot);
        return;
      }
      properties = { ...properties, messageExpiryInterval: left };
    }
    this.echo?.carried(entry.topic, entry.payload);
    const payload = entry.payload;
    this.sending.set(payload, entry.seq);
    client
      .publish(entry.topic, payload, {
        qos: entry.qos,
        retain: entry.retain,
        ...(properties === undefined ? {} : { properties }),
      })
      .then(
        () => {
          this.sending.delete(payload);
          this.counters.sent++;
          this.finish(slot);
        },
        (error: unknown) => {
          this.sending.delete(payload);
          // The client closed (stop, or it gave up): a new client sends it again from the store.
          if (client !== this.client || client.state === "closed") return;
          this.counters.failed++;
          this.onError(error);
          this.finish(slot);
        },
      );
  }

  /** Mark `slot` acknowledged and remove the acknowledged prefix from the store. */
  private finish(slot: InFlight): void {
    slot.done = true;
    let through = 0;
    while (this.inflight.length > 0 && (this.inflight[0] as InFlight).done) {
      through = (this.inflight.shift() as InFlight).seq;
    }
    if (through > 0) {
      this.ackThrough = through;
      // Acknowledgements arriving together remove their entries in one store call.
      if (!this.ackScheduled) {
        this.ackScheduled = true;
        this.acking = this.acking
          .then(() => {
            this.ackScheduled = false;
            const through = this.ackThrough;
            return this.outbox.ack(through).then(() => this.removed(through));
          })
          .catch(this.onError);
      }
    }
    this.slot.notify();
  }
}
