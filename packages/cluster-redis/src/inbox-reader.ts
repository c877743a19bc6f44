import type { ClusterEnvelope } from "@amqtt/cluster";
import type { RedisClient } from "./connection.js";
import { INBOX_GROUP } from "./keys.js";
import { runScript } from "./scripts.js";

/** What the reader needs from its bus. */
export interface InboxReaderOptions {
  /** The dedicated connection for the blocking reads (no command timeout of its own). */
  readonly reader: RedisClient;
  /** The bus's ordinary connection, for acks. */
  readonly client: RedisClient;
  readonly stream: string;
  /** The consumer name: the node id. */
  readonly consumer: string;
  readonly maxUnacked: number;
  /** How long one blocking read waits for envelopes (ms). */
  readonly blockMs: number;
  /** Hand one envelope to the node. */
  deliver(envelope: ClusterEnvelope, ack: () => void): void;
  /** A read or an ack failed (the engine is down or stalled); the reader retries by itself. */
  failed(error: unknown): void;
}

type StreamReply = [Buffer, [Buffer, Buffer[]][]][] | null;

/** Field values of a stream entry by field name. */
function fieldsOf(values: Buffer[]): Map<string, Buffer> {
  const map = new Map<string, Buffer>();
  for (let i = 0; i + 1 < values.length; i += 2)
    map.set((values[i] as Buffer).toString(), values[i + 1] as Buffer);
  return map;
}

/**
 * Reads a node's inbox stream through its consumer group: first the entries
 * delivered before and never acknowledged (id `0`: a restart's redelivery),
 * then new ones (`>`, blocking on the dedicated connection). At most
 * `maxUnacked` are out at a time: reading pauses until acks come. Acks are
 * batched per event-loop turn into one script (XACK + XDEL). After any failed
 * read it reads the pending entries again, skipping those already out, so an
 * entry the engine handed over in a reply that was lost is not lost.
 */
export class InboxReader {
  /** Stream ids delivered in this run and not yet acknowledged to the engine. */
  private readonly out = new Set<string>();
  private unacked = 0;
  private acks: string[] = [];
  private ackScheduled = false;
  private running = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: InboxReaderOptions) {}

  /** Starts reading (pending entries first). */
  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops reading; envelopes out and not acked stay pending in the engine. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.flushAcks().catch(() => {});
    this.options.reader.disconnect();
    await this.loop;
  }

  /** Stops as a crash would: no ack flushed, connection dropped. */
  abandon(): void {
    this.running = false;
    this.acks = [];
    this.wake?.();
    this.options.reader.disconnect();
  }

  /** Flushes acks now (tests and stop). */
  async flushAcks(): Promise<void> {
    if (this.acks.length === 0) return;
    const ids = this.acks;
    this.acks = [];
    try {
      await runScript(this.options.client, "ack", [this.options.stream], [INBOX_GROUP, ...ids]);
      for (const id of ids) this.out.delete(id);
    } catch (error) {
      // Kept for the next flush: the entries stay pending in the engine meanwhile.
      this.acks.push(...ids);
      this.options.failed(error);
      throw error;
    }
  }

  private async run(): Promise<void> {
    let fromPending = true;
    let cursor = "0";
    while (this.running) {
      if (this.unacked >= this.options.maxUnacked) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      const count = this.options.maxUnacked - this.unacked;
      try {
        // The typed overloads do not cover COUNT with BLOCK as one spread: call it untyped.
        const read = this.options.reader.xreadgroupBuffer as unknown as (
          ...args: unknown[]
        ) => Promise<unknown>;
        const reply = (await read.call(
          this.options.reader,
          "GROUP",
          INBOX_GROUP,
          this.options.consumer,
          "COUNT",
          count,
          ...(fromPending ? [] : ["BLOCK", this.options.blockMs]),
          "STREAMS",
          this.options.stream,
          fromPending ? cursor : ">",
        )) as StreamReply;
        const entries = reply?.[0]?.[1] ?? [];
        for (const [rawId, values] of entries) {
          const id = rawId.toString();
          // A pending entry without fields was deleted (acked by XDEL) meanwhile.
          if (this.out.has(id) || values === null || values.length === 0) continue;
          this.hand(id, values);
          if (!this.running) return;
        }
        // Pending entries are read page by page (after the last id seen) until the end.
        if (fromPending) {
          const last = entries.at(-1)?.[0];
          if (last === undefined || entries.length < count) {
            fromPending = false;
            cursor = "0";
          } else cursor = last.toString();
        }
      } catch (error) {
        if (!this.running) return;
        this.options.failed(error);
        fromPending = true;
        cursor = "0";
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  private hand(id: string, values: Buffer[]): void {
    const fields = fieldsOf(values);
    const body = fields.get("b") ?? Buffer.alloc(0);
    const envelope: ClusterEnvelope = {
      from: fields.get("f")?.toString() ?? "",
      id: fields.get("i")?.toString() ?? id,
      channel: fields.get("c")?.toString() ?? "",
      body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    };
    this.out.add(id);
    this.unacked++;
    let acked = false;
    this.options.deliver(envelope, () => {
      if (acked || !this.running) return;
      acked = true;
      this.unacked--;
      this.acks.push(id);
      this.scheduleAckFlush();
      this.wake?.();
    });
  }

  private scheduleAckFlush(): void {
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      this.flushAcks().catch(() => {
        // Retried: a later ack or the bus's recovery flushes again.
        setTimeout(() => this.scheduleAckFlush(), 200);
      });
    });
  }
}
