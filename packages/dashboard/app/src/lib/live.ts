// The live topic viewer's state: frames from the /api/v1/live WebSocket, kept in a
// bounded list (newest first) with counts of what was dropped and why.
import type { LiveMessage } from "./types.ts";

/** Messages the viewer keeps by default; older ones are dropped from view (and counted). */
export const defaultLiveCapacity = 500;

/** Thrown by {@link parseLiveFrame} for a frame that is neither a message nor a drop notice. */
export class LiveFrameError extends Error {
  override readonly name = "LiveFrameError";
}

/** A parsed frame: a message, or the server's count of messages it dropped for this viewer. */
export type LiveFrame = { kind: "message"; message: LiveMessage } | { kind: "dropped"; count: number };

/** Parses one text frame of the live WebSocket. */
export function parseLiveFrame(data: string): LiveFrame {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new LiveFrameError("a live frame that is not JSON");
  }
  if (typeof value !== "object" || value === null)
    throw new LiveFrameError("a live frame that is not an object");
  const frame = value as Record<string, unknown>;
  if (typeof frame.dropped === "number") return { kind: "dropped", count: frame.dropped };
  if (typeof frame.topic !== "string" || typeof frame.payload !== "string") {
    throw new LiveFrameError("a live message frame without topic or payload");
  }
  return {
    kind: "message",
    message: {
      topic: frame.topic,
      payload: frame.payload,
      encoding: frame.encoding === "base64" ? "base64" : "utf8",
      qos: typeof frame.qos === "number" ? frame.qos : 0,
      retain: frame.retain === true,
      time: typeof frame.time === "string" || typeof frame.time === "number" ? frame.time : Date.now(),
    },
  };
}

/** A received message with a sequence number (a stable key for the list). */
export interface LiveEntry extends LiveMessage {
  seq: number;
}

/**
 * The viewer's list: at most `capacity` messages, newest first. Counts the messages
 * the server dropped (its per-viewer buffer overflowed) apart from the ones this list
 * let go to stay within its bound.
 */
export class LiveFeed {
  readonly capacity: number;
  private entries: LiveEntry[] = [];
  private seq = 0;
  /** Messages the server reported as dropped for this viewer. */
  serverDropped = 0;
  /** Messages received but no longer shown (past the capacity). */
  evicted = 0;
  /** Messages received in all. */
  received = 0;

  constructor(capacity: number = defaultLiveCapacity) {
    if (!Number.isInteger(capacity) || capacity <= 0) {
      throw new RangeError(`live capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  /** Applies one parsed frame. */
  apply(frame: LiveFrame): void {
    if (frame.kind === "dropped") {
      this.serverDropped += frame.count;
      return;
    }
    this.received++;
    // A new array each time: the view compares by identity to know it changed.
    const next = [{ ...frame.message, seq: ++this.seq }, ...this.entries];
    if (next.length > this.capacity) {
      this.evicted += next.length - this.capacity;
      next.length = this.capacity;
    }
    this.entries = next;
  }

  /** The messages shown, newest first. */
  get messages(): readonly LiveEntry[] {
    return this.entries;
  }

  /** Empties the list and the counts. */
  clear(): void {
    this.entries = [];
    this.serverDropped = 0;
    this.evicted = 0;
    this.received = 0;
  }
}
