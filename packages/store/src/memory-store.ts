import { topicMatches } from "@amqtt/message";
import { Deque } from "@amqtt/qos";
import { copyMessage, copySession } from "./copy.js";
import { StoreClosedError } from "./errors.js";
import { resolveStoreLimits, retainedRefusal } from "./limits.js";
import { storedMessageSize } from "./size.js";
import type {
  BrokerStore,
  EnqueueResult,
  QueuedRecord,
  QueueEntry,
  RetainedRecord,
  RetainResult,
  SessionRecord,
  StoreLimits,
  StoreUsage,
} from "./types.js";

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Bounds; each one left out takes its {@link DEFAULT_STORE_LIMITS} value. */
  limits?: Partial<StoreLimits>;
}

interface ClientQueue {
  entries: Deque<{ entry: QueueEntry; size: number }>;
  bytes: number;
}

type State = "new" | "open" | "closed";

/**
 * A {@link BrokerStore} in process memory: the default for embedding and tests.
 * Nothing survives the instance (`persistent` is false), so `flush()` only waits
 * for earlier writes, which apply at once. Queue operations are O(1) per message
 * (a ring buffer per client); retained matching scans every retained message
 * with `@amqtt/message`'s `topicMatches` (the broker keeps its own index for the
 * hot path). Every bound of {@link StoreLimits} holds.
 */
export class MemoryStore implements BrokerStore {
  readonly persistent: boolean = false;
  readonly limits: StoreLimits;
  private state: State = "new";
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly queues = new Map<string, ClientQueue>();
  private readonly retained = new Map<string, { message: RetainedRecord; size: number }>();
  private retainedBytes = 0;
  // One counter for every client: seq only has to grow per client.
  private nextSeq = 1;

  /** @throws RangeError for invalid limits. */
  constructor(options: MemoryStoreOptions = {}) {
    this.limits = resolveStoreLimits(options.limits);
  }

  async open(): Promise<void> {
    if (this.state === "closed") throw new StoreClosedError("open after close");
    this.state = "open";
  }

  async close(): Promise<void> {
    this.state = "closed";
    this.sessions.clear();
    this.queues.clear();
    this.retained.clear();
    this.retainedBytes = 0;
  }

  async flush(): Promise<void> {
    this.assertOpen("flush");
  }

  // --- sessions ---

  async saveSession(record: SessionRecord): Promise<void> {
    this.assertOpen("saveSession");
    this.sessions.set(record.clientId, copySession(record));
  }

  async loadSession(clientId: string): Promise<SessionRecord | undefined> {
    this.assertOpen("loadSession");
    const record = this.sessions.get(clientId);
    return record === undefined ? undefined : copySession(record);
  }

  async deleteSession(clientId: string): Promise<void> {
    this.assertOpen("deleteSession");
    this.sessions.delete(clientId);
    this.queues.delete(clientId);
  }

  async listSessions(): Promise<SessionRecord[]> {
    this.assertOpen("listSessions");
    return [...this.sessions.values()].map(copySession);
  }

  async deleteExpiredSessions(now: number): Promise<SessionRecord[]> {
    this.assertOpen("deleteExpiredSessions");
    const deleted: SessionRecord[] = [];
    for (const [clientId, record] of this.sessions) {
      if (record.expiresAt !== undefined && record.expiresAt <= now) {
        deleted.push(record); // no copy needed: the store lets go of it
        this.sessions.delete(clientId);
        this.queues.delete(clientId);
      }
    }
    return deleted;
  }

  // --- offline queues ---

  async enqueue(clientId: string, message: QueuedRecord): Promise<EnqueueResult> {
    this.assertOpen("enqueue");
    const { maxQueuedMessages, maxQueuedBytes, queueOverflow } = this.limits;
    const size = storedMessageSize(message);
    if (size > maxQueuedBytes) return { accepted: false, dropped: 0 };
    let queue = this.queues.get(clientId);
    if (queue === undefined) {
      queue = { entries: new Deque(), bytes: 0 };
      this.queues.set(clientId, queue);
    }
    const full = (): boolean =>
      queue.entries.length + 1 > maxQueuedMessages || queue.bytes + size > maxQueuedBytes;
    let dropped = 0;
    if (full()) {
      if (queueOverflow === "refuse-new") return { accepted: false, dropped: 0 };
      while (full()) {
        const oldest = queue.entries.shift();
        if (oldest === undefined) break;
        queue.bytes -= oldest.size;
        dropped++;
      }
    }
    const entry: QueueEntry = { ...copyMessage(message), seq: this.nextSeq++ };
    queue.entries.push({ entry, size });
    queue.bytes += size;
    return { accepted: true, dropped };
  }

  async peekQueue(clientId: string, max: number): Promise<QueueEntry[]> {
    this.assertOpen("peekQueue");
    const queue = this.queues.get(clientId);
    const out: QueueEntry[] = [];
    if (queue === undefined) return out;
    const n = Math.min(max, queue.entries.length);
    for (let i = 0; i < n; i++) {
      const item = queue.entries.at(i);
      if (item !== undefined) out.push(copyMessage(item.entry));
    }
    return out;
  }

  async ackQueue(clientId: string, throughSeq: number): Promise<number> {
    this.assertOpen("ackQueue");
    const queue = this.queues.get(clientId);
    if (queue === undefined) return 0;
    let removed = 0;
    for (;;) {
      const front = queue.entries.at(0);
      if (front === undefined || front.entry.seq > throughSeq) break;
      queue.entries.shift();
      queue.bytes -= front.size;
      removed++;
    }
    if (queue.entries.length === 0) this.queues.delete(clientId);
    return removed;
  }

  async queueUsage(clientId: string): Promise<StoreUsage> {
    this.assertOpen("queueUsage");
    const queue = this.queues.get(clientId);
    return { count: queue?.entries.length ?? 0, bytes: queue?.bytes ?? 0 };
  }

  async clearQueue(clientId: string): Promise<void> {
    this.assertOpen("clearQueue");
    this.queues.delete(clientId);
  }

  async dropExpiredQueued(now: number): Promise<number> {
    this.assertOpen("dropExpiredQueued");
    let dropped = 0;
    for (const [clientId, queue] of this.queues) {
      // A sweep rebuilds each queue once: O(n) per sweep, O(1) per queue operation.
      const kept = new Deque<{ entry: QueueEntry; size: number }>();
      for (const item of queue.entries) {
        if (item.entry.expiresAt !== undefined && item.entry.expiresAt <= now) {
          queue.bytes -= item.size;
          dropped++;
        } else {
          kept.push(item);
        }
      }
      if (kept.length === 0) this.queues.delete(clientId);
      else queue.entries = kept;
    }
    return dropped;
  }

  // --- retained messages ---

  async setRetained(message: RetainedRecord): Promise<RetainResult> {
    this.assertOpen("setRetained");
    const previous = this.retained.get(message.topic);
    if (message.payload.byteLength === 0) {
      if (previous !== undefined) {
        this.retained.delete(message.topic);
        this.retainedBytes -= previous.size;
      }
      return { stored: true };
    }
    const size = storedMessageSize(message);
    const usage = { count: this.retained.size, bytes: this.retainedBytes };
    const refusedBy = retainedRefusal(this.limits, usage, previous?.size, size);
    if (refusedBy !== undefined) return { stored: false, refusedBy };
    this.retained.set(message.topic, { message: copyMessage(message), size });
    this.retainedBytes += size - (previous?.size ?? 0);
    return { stored: true };
  }

  async getRetained(topic: string): Promise<RetainedRecord | undefined> {
    this.assertOpen("getRetained");
    const item = this.retained.get(topic);
    return item === undefined ? undefined : copyMessage(item.message);
  }

  async matchRetained(filter: string): Promise<RetainedRecord[]> {
    this.assertOpen("matchRetained");
    const out: RetainedRecord[] = [];
    for (const [topic, item] of this.retained) {
      if (topicMatches(filter, topic)) out.push(copyMessage(item.message)); // [MQTT-4.7.2-1] inside
    }
    return out;
  }

  async listRetained(): Promise<RetainedRecord[]> {
    this.assertOpen("listRetained");
    return [...this.retained.values()].map((item) => copyMessage(item.message));
  }

  async retainedUsage(): Promise<StoreUsage> {
    this.assertOpen("retainedUsage");
    return { count: this.retained.size, bytes: this.retainedBytes };
  }

  async dropExpiredRetained(now: number): Promise<number> {
    this.assertOpen("dropExpiredRetained");
    let dropped = 0;
    for (const [topic, item] of this.retained) {
      if (item.message.expiresAt !== undefined && item.message.expiresAt <= now) {
        this.retained.delete(topic);
        this.retainedBytes -= item.size;
        dropped++;
      }
    }
    return dropped;
  }

  private assertOpen(operation: string): void {
    if (this.state !== "open") throw new StoreClosedError(operation);
  }
}
