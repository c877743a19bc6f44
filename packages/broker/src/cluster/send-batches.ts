import type { ClusterBus } from "@amqtt/cluster";
import { DELIVER_CHANNEL, encodeBatch } from "./envelopes.js";

/** Deliver frames one envelope carries at most (a larger turn is split). */
export const MAX_BATCH_FRAMES = 256;
/** Bytes one envelope carries at most, besides a single larger frame (a larger turn is split). */
export const MAX_BATCH_BYTES = 256 * 1024;

interface Batch {
  frames: Uint8Array[];
  bytes: number;
  sent: Promise<void>;
  settle: { resolve: () => void; reject: (error: unknown) => void };
}

/**
 * The deliver frames of one event-loop turn, one envelope per receiving node:
 * the engine does one write per node per turn instead of one per message (the
 * architecture's "batched per turn"). Order is kept: frames in the order they
 * came, envelopes in the order they are sent, which the bus keeps per node.
 * Each frame's promise is its envelope's: a PUBACK waits for the write that
 * carries its message.
 */
export class SendBatches {
  private readonly open = new Map<string, Batch>();
  private scheduled = false;

  constructor(private readonly bus: ClusterBus) {}

  /** Queue `frame` for `node`; resolves once the engine holds the envelope that carries it. */
  add(node: string, frame: Uint8Array): Promise<void> {
    let batch = this.open.get(node);
    if (
      batch !== undefined &&
      (batch.frames.length >= MAX_BATCH_FRAMES || batch.bytes + frame.length > MAX_BATCH_BYTES)
    ) {
      this.send(node, batch);
      batch = undefined;
    }
    if (batch === undefined) {
      let settle!: Batch["settle"];
      const sent = new Promise<void>((resolve, reject) => {
        settle = { resolve, reject };
      });
      // Each caller handles its frame's failure; the shared promise itself is never left unhandled.
      sent.catch(() => undefined);
      batch = { frames: [], bytes: 0, sent, settle };
      this.open.set(node, batch);
    }
    batch.frames.push(frame);
    batch.bytes += frame.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return batch.sent;
  }

  /** Send what this turn queued. */
  flush(): void {
    this.scheduled = false;
    for (const [node, batch] of this.open) this.send(node, batch);
  }

  private send(node: string, batch: Batch): void {
    this.open.delete(node);
    const body = batch.frames.length === 1 ? batch.frames[0]! : encodeBatch(batch.frames);
    let sent: Promise<void>;
    try {
      sent = this.bus.send(node, DELIVER_CHANNEL, body);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(batch.settle.resolve, batch.settle.reject);
  }
}
