import type { ClusterBus } from "@amqtt/cluster";
import { messageOf, withRemainingExpiry } from "../core/messages.js";
import { isSysTopic, type RetainedStore } from "../core/retained.js";
import type { Router } from "../core/router.js";
import type { Clock } from "../core/timers.js";
import { CONTROL_CHANNEL, encodeControl, type SyncedRetained } from "./envelopes.js";

/** Bytes of retained messages one control envelope carries at most (besides one larger message). */
export const MAX_SYNC_CHUNK_BYTES = 256 * 1024;
/** Retained topics updated during a sync that a node remembers, at most; beyond it the sync is abandoned. */
export const MAX_TOUCHED_TOPICS = 100_000;

/** This node's retained messages (not `$SYS/`), with their remaining expiry, in chunks for control envelopes. */
export function retainedChunks(retained: RetainedStore, now: number): SyncedRetained[][] {
  const chunks: SyncedRetained[][] = [];
  let chunk: SyncedRetained[] = [];
  let bytes = 0;
  for (const r of retained.entries()) {
    if (isSysTopic(r.topic)) continue;
    const properties = withRemainingExpiry(r.properties, r.expiresAt, now);
    if (properties === null) continue; // expired
    const m: SyncedRetained = { topic: r.topic, payload: r.payload, qos: r.qos };
    if (properties !== undefined) m.properties = properties;
    const size = r.topic.length + r.payload.length;
    if (chunk.length > 0 && bytes + size > MAX_SYNC_CHUNK_BYTES) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  chunks.push(chunk);
  return chunks;
}

/**
 * The retained topics a joining node saw updated since it asked for the
 * cluster's retained set: the snapshot is older than those updates, so it
 * does not overwrite them. Bounded: past `capacity` topics the sync gives up
 * (the updates themselves keep arriving).
 */
export class TouchedTopics {
  private topics: Set<string> | undefined;

  constructor(readonly capacity: number = MAX_TOUCHED_TOPICS) {}

  /** A sync starts: remember updates from now on. */
  begin(): void {
    this.topics = new Set();
  }

  /** The sync is over (its last chunk came). */
  end(): void {
    this.topics = undefined;
  }

  /** Whether a sync is going on. */
  get active(): boolean {
    return this.topics !== undefined;
  }

  /** A retained update for `topic` arrived (local or remote). */
  touch(topic: string): void {
    const topics = this.topics;
    if (topics === undefined) return;
    topics.add(topic);
    if (topics.size > this.capacity) this.topics = undefined;
  }

  /** Whether the snapshot's message for `topic` may be kept (nothing newer arrived, and the sync is on). */
  accepts(topic: string): boolean {
    return this.topics !== undefined && !this.topics.has(topic);
  }
}

/** What the retained sync needs from the node (read lazily). */
export interface RetainedSyncHost {
  readonly retained: RetainedStore;
  readonly router: Router;
  readonly clock: Clock;
  warn(message: string, error: unknown): void;
}

/**
 * A joining node asks one other live node (the first by id) for the cluster's
 * retained messages; that node answers in chunks of control envelopes. Updates
 * that arrive meanwhile win over the older snapshot ({@link TouchedTopics}).
 */
export class RetainedSync {
  /** Retained updates seen while this node's sync is on its way. */
  readonly touched = new TouchedTopics();

  constructor(
    private readonly bus: ClusterBus,
    private readonly host: RetainedSyncHost,
  ) {}

  /** Ask another node for its retained messages (none when this node is alone). */
  request(): void {
    const other = this.bus
      .nodes()
      .map((n) => n.nodeId)
      .filter((id) => id !== this.bus.nodeId)
      .sort()[0];
    if (other === undefined) return;
    this.touched.begin();
    this.bus
      .send(other, CONTROL_CHANNEL, encodeControl({ type: "retained-request" }))
      .catch((error: unknown) => {
        this.touched.end();
        this.host.warn("asking another node for the retained messages failed", error);
      });
  }

  /** Send `to` every retained message of this node, in chunks; the last one says so. */
  async answer(to: string): Promise<void> {
    const chunks = retainedChunks(this.host.retained, this.host.clock.now());
    for (const [i, messages] of chunks.entries()) {
      const last = i === chunks.length - 1;
      await this.bus.send(to, CONTROL_CHANNEL, encodeControl({ type: "retained", messages, last }));
    }
  }

  /** A chunk of the answer: kept unless a newer update for the topic came meanwhile. */
  receive(messages: readonly SyncedRetained[], last: boolean): void {
    for (const r of messages) {
      if (!this.touched.accepts(r.topic)) continue;
      // Kept in the retained index (and store), delivered to nobody: no subscriber asked yet.
      this.host.router.acceptRemote(undefined, messageOf({ ...r, retain: true }), {
        ordinary: false,
        groups: new Set(),
      });
    }
    if (last) this.touched.end();
  }
}
