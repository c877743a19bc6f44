import type { PublishProperties, QoS } from "@amqtt/codec";
import { withRemainingExpiry } from "../core/messages.js";
import { isSysTopic, type RetainedStore } from "../core/retained.js";

/** Bytes of retained messages one control envelope carries at most (besides one larger message). */
export const MAX_SYNC_CHUNK_BYTES = 256 * 1024;
/** Retained topics updated during a sync that a node remembers, at most; beyond it the sync is abandoned. */
export const MAX_TOUCHED_TOPICS = 100_000;

/** A retained message as a joining node receives it. */
export interface SyncedRetained {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  properties?: PublishProperties;
}

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
