import type { BrokerStore, QueueEntry } from "@amqtt/store";
import { StoreLog } from "./store-log.js";

const decoder = new TextDecoder();

/** Where one outbound QoS 1/2 message stands with the remote. */
export interface OutboundFlow {
  /** The queue entry (`seq` of the outbound queue). */
  seq: number;
  packetId: number;
  /** `publish`: PUBLISH sent, no PUBACK/PUBREC yet; `pubrel`: PUBREL sent, no PUBCOMP yet. */
  stage: "publish" | "pubrel";
  /** The remote acknowledged it (PUBACK, PUBCOMP, or a refusing PUBREC); the queue has not removed it yet. */
  done: boolean;
}

/**
 * The packet ids of the bridge's outbound QoS 1/2 messages in flight at the
 * remote: the sender's QoS session state of the bridge's client, kept durably
 * in the broker's store so that a restart after a crash or SIGKILL resends
 * each one with its original packet identifier (PUBLISH with DUP, or the
 * PUBREL when PUBREC had come) [MQTT-4.4.0-1] (3.1.1; 5.0 [MQTT-4.4.0-1]
 * [MQTT-4.4.0-2]). Without it a new client would send an unacknowledged
 * message again under a new id, and a remote that had already released the
 * old one (PUBREL received) would deliver it twice.
 *
 * It also holds the outbound QoS 0 entries already written to the remote
 * (`taken`): the queue removes entries as a prefix, so a QoS 0 entry behind an
 * unacknowledged QoS 1/2 one stays queued after it left, and without the mark a
 * restart would send it a second time, which QoS 0 never does [MQTT-4.3.1-1].
 *
 * Design: an append-only log in one store queue (`$bridge-out/<name>`), one
 * row per event-loop turn holding that turn's changes (`+seq:id` sent, `rseq`
 * PUBREL stage, `-seq` acknowledged, `~seq` QoS 0 written), or a snapshot
 * (`=`) of the whole set.
 * `sent` and `released` return the store flush of their row: the client's
 * `beforeSend` holds the PUBLISH or PUBREL until it resolves, so no packet
 * leaves before its id is durable. `completed` is written when the
 * acknowledgement arrives, before the client may give that id to another
 * message; a later `+` for the same id also marks the earlier flow done
 * (the client reuses an id only after its flow ended). A flow leaves the set
 * once the outbound queue removed its entry (`forget`). Bounded by the
 * bridge's `max_inflight` plus the acknowledged entries the queue has not
 * removed yet; the log is trimmed every `COMPACT_AT` rows.
 */
export class OutboundLedger {
  private readonly flows = new Map<number, OutboundFlow>();
  /** QoS 0 entries handed to the network, until the queue removes them. */
  private readonly takenQos0 = new Set<number>();
  /** Live (not done) flows by packet id. */
  private readonly byPacketId = new Map<number, number>();
  private pending: string[] = [];
  private turnScheduled = false;
  private turnWaiter: { promise: Promise<void>; resolve(): void; reject(e: unknown): void } | undefined;
  private readonly log: StoreLog;
  /** The last packet id recorded, so a restored client continues after it. */
  lastPacketId = 0;

  constructor(
    private readonly store: () => BrokerStore,
    queueId: string,
    onError: (error: unknown) => void,
  ) {
    this.log = new StoreLog(store, queueId, "outbound ledger", onError);
  }

  /** The queue id of the log in the store. */
  get queueId(): string {
    return this.log.queueId;
  }

  /** Flows recorded (done ones not yet forgotten included) and QoS 0 entries marked written. */
  get size(): number {
    return this.flows.size + this.takenQos0.size;
  }

  /** Read the log a previous run (or another cluster node) left, and replay it. */
  async load(): Promise<void> {
    const log = await this.log.load();
    this.flows.clear();
    this.byPacketId.clear();
    this.takenQos0.clear();
    for (const row of log) this.replay(row);
  }

  /** The flow of queue entry `seq`, if recorded. */
  flow(seq: number): OutboundFlow | undefined {
    return this.flows.get(seq);
  }

  /** The queue entry whose live flow holds `packetId`. */
  seqOf(packetId: number): number | undefined {
    return this.byPacketId.get(packetId);
  }

  /** Live flows, oldest first (what a restored client resends). */
  live(): OutboundFlow[] {
    return [...this.flows.values()].filter((f) => !f.done).sort((a, b) => a.seq - b.seq);
  }

  /** The PUBLISH of entry `seq` goes out for the first time with `packetId`: resolves once that is durable. */
  sent(seq: number, packetId: number): Promise<void> {
    this.apply(seq, packetId);
    this.record(`+${seq}:${packetId}`);
    return this.durable();
  }

  /** The QoS 0 PUBLISH of entry `seq` goes out: resolves once that is durable (it is never sent again). */
  taken(seq: number): Promise<void> {
    this.takenQos0.add(seq);
    this.record(`~${seq}`);
    return this.durable();
  }

  /** Whether QoS 0 entry `seq` was written to the remote already. */
  wasTaken(seq: number): boolean {
    return this.takenQos0.has(seq);
  }

  /** PUBREC came for entry `seq`; its PUBREL goes out: resolves once that is durable. */
  released(seq: number): Promise<void> {
    const flow = this.flows.get(seq);
    if (flow !== undefined) flow.stage = "pubrel";
    this.record(`r${seq}`);
    return this.durable();
  }

  /** The remote acknowledged entry `seq` (written before its id can be reused). */
  completed(seq: number): void {
    const flow = this.flows.get(seq);
    if (flow === undefined || flow.done) return;
    this.finish(flow);
    this.record(`-${seq}`);
  }

  /** The changes of this turn not yet flushed, if any: a resend waits for them too. */
  pendingDurable(): Promise<void> | undefined {
    return this.turnWaiter?.promise ?? (this.pending.length > 0 ? this.durable() : undefined);
  }

  /** The outbound queue removed every entry through `throughSeq`: their flows are over. */
  forget(throughSeq: number): void {
    for (const seq of this.takenQos0) if (seq <= throughSeq) this.takenQos0.delete(seq);
    for (const [seq, flow] of this.flows) {
      if (seq > throughSeq) continue;
      this.flows.delete(seq);
      if (this.byPacketId.get(flow.packetId) === seq) this.byPacketId.delete(flow.packetId);
    }
  }

  private apply(seq: number, packetId: number): void {
    // The client gave this id to a new message: the flow that had it is over.
    const earlier = this.byPacketId.get(packetId);
    if (earlier !== undefined && earlier !== seq) {
      const flow = this.flows.get(earlier);
      if (flow !== undefined) this.finish(flow);
    }
    this.flows.set(seq, { seq, packetId, stage: "publish", done: false });
    this.byPacketId.set(packetId, seq);
    this.lastPacketId = packetId;
  }

  private finish(flow: OutboundFlow): void {
    flow.done = true;
    if (this.byPacketId.get(flow.packetId) === flow.seq) this.byPacketId.delete(flow.packetId);
  }

  private replay(row: QueueEntry): void {
    if (row.topic === "=") {
      this.flows.clear();
      this.byPacketId.clear();
      this.takenQos0.clear();
    }
    const text = decoder.decode(row.payload);
    for (const op of text === "" ? [] : text.split(",")) {
      const kind = op[0];
      if (kind === "+") {
        const [seq, packetId] = op.slice(1).split(":").map(Number);
        if (!isSeq(seq) || !isPacketId(packetId)) continue;
        this.apply(seq, packetId);
      } else if (kind === "~") {
        const seq = Number(op.slice(1));
        if (isSeq(seq)) this.takenQos0.add(seq);
      } else if (kind === "r" || kind === "-") {
        const flow = this.flows.get(Number(op.slice(1)));
        if (flow === undefined) continue;
        if (kind === "r") flow.stage = "pubrel";
        else this.finish(flow);
      }
    }
  }

  private record(op: string): void {
    this.pending.push(op);
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    // One row per turn: the changes of one batch of packets cost one store write.
    queueMicrotask(() => this.writeTurn());
  }

  private durable(): Promise<void> {
    if (this.turnWaiter === undefined) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.turnWaiter = { promise, resolve, reject };
    }
    return this.turnWaiter.promise;
  }

  private writeTurn(): void {
    this.turnScheduled = false;
    const waiter = this.turnWaiter;
    this.turnWaiter = undefined;
    if (this.pending.length > 0) {
      this.log.append("o", this.pending.join(","));
      this.pending = [];
    }
    // The flush covers the row just appended (the store applies calls in call order).
    if (waiter !== undefined) this.store().flush().then(waiter.resolve, waiter.reject);
    this.log.compactIfDue(() => this.snapshot());
  }

  /** The whole set as one snapshot row (in seq order: a later `+` with the same id marks the earlier flow done on replay). */
  private snapshot(): string {
    const ops: string[] = [];
    for (const f of [...this.flows.values()].sort((a, b) => a.seq - b.seq)) {
      ops.push(`+${f.seq}:${f.packetId}`);
      if (f.stage === "pubrel") ops.push(`r${f.seq}`);
      if (f.done) ops.push(`-${f.seq}`);
    }
    for (const seq of this.takenQos0) ops.push(`~${seq}`);
    return ops.join(",");
  }
}

function isSeq(n: number | undefined): n is number {
  return n !== undefined && Number.isInteger(n) && n >= 1;
}

function isPacketId(n: number | undefined): n is number {
  return n !== undefined && Number.isInteger(n) && n >= 1 && n <= 65_535;
}
