import type { BrokerStore, QueueEntry } from "@amqtt/store";
import { StoreLog } from "./store-log.js";

const decoder = new TextDecoder();

/**
 * The packet ids of the inbound QoS 2 messages the bridge received, published
 * locally and acknowledged with PUBREC, and whose PUBREL has not arrived: the
 * receiver's QoS 2 session state of the bridge's client, kept durably in the
 * broker's store so that it survives a crash or SIGKILL of our broker.
 *
 * Why: after our restart the remote, which still holds our session, sends a
 * PUBLISH it got no PUBREC for again with DUP=1 [MQTT-3.3.1-1]
 * [MQTT-4.4.0-1]. A fresh client has no record of it, so without this ledger
 * the message would be published locally a second time. The receiver must
 * acknowledge such a PUBLISH with PUBREC and not deliver it onward again
 * until the PUBREL [MQTT-4.3.3-9]; once PUBCOMP is sent a PUBLISH with that id
 * is a new message [MQTT-4.3.3-12].
 *
 * Design: an append-only log in one store queue (`$bridge-in/<name>`), one
 * entry per change (`+` added, `-` released, `=` a snapshot of the whole set),
 * written in call order: the `+` of a message is issued before the store flush
 * that precedes its PUBREC, so a PUBREC never leaves before its id is durable.
 * Every `COMPACT_AT` entries a snapshot is appended and the entries before it
 * are trimmed, so the log stays far below the store's per-queue bound. The set
 * itself is bounded by the packet id space (65,535), and in practice by the
 * remote's in-flight window.
 */
export class InboundLedger {
  private readonly ids = new Set<number>();
  private readonly log: StoreLog;

  constructor(store: () => BrokerStore, queueId: string, onError: (error: unknown) => void) {
    this.log = new StoreLog(store, queueId, "QoS 2 ledger", onError);
  }

  /** The queue id of the log in the store. */
  get queueId(): string {
    return this.log.queueId;
  }

  /** Ids held (received, not yet released). */
  get size(): number {
    return this.ids.size;
  }

  /** Read the log a previous run (or another cluster node) left, and replay it. */
  async load(): Promise<void> {
    const log = await this.log.load();
    this.ids.clear();
    for (const entry of log) this.replay(entry);
  }

  /** Whether `packetId` was received and not released. */
  has(packetId: number): boolean {
    return this.ids.has(packetId);
  }

  /** A QoS 2 PUBLISH with `packetId` was published locally: keep its id (written before the next flush). */
  add(packetId: number): void {
    this.ids.add(packetId);
    this.append("+", [packetId]);
  }

  /** Its PUBREL arrived: the id is free again. */
  release(packetId: number): void {
    if (!this.ids.delete(packetId)) return;
    this.append("-", [packetId]);
  }

  /** The remote has no session of ours (Session Present 0): nothing it sends is a resend. */
  clear(): void {
    if (this.ids.size === 0) return;
    this.ids.clear();
    this.append("=", []);
  }

  private replay(entry: QueueEntry): void {
    const text = decoder.decode(entry.payload);
    const ids = text === "" ? [] : text.split(",").map(Number);
    if (entry.topic === "=") this.ids.clear();
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 1 || id > 65_535) continue;
      if (entry.topic === "-") this.ids.delete(id);
      else this.ids.add(id);
    }
  }

  private append(op: "+" | "-" | "=", ids: readonly number[]): void {
    this.log.append(op, ids.join(","));
    this.log.compactIfDue(() => [...this.ids].join(","));
  }
}
