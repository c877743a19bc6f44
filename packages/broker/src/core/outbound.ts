import type { Connection } from "@amqtt/transport";
import { atTurnEnd, type TurnEndTask } from "./turn-end.js";

/**
 * Pending bytes at which an {@link Outbound} writes at once instead of at the
 * end of the turn, so one turn's batch stays one moderate chunk.
 */
export const OUTBOUND_BATCH_BYTES = 16 * 1024;

// Bits of `Outbound.outputFlags`.
/** A write at the end of this turn is scheduled. */
const SCHEDULED = 1;
/** The transport went over its write high-water mark and has not drained yet. */
const CONGESTED = 2;
/** The transport's drain listener is registered (once per connection). */
const DRAIN_WATCHED = 4;

/**
 * One connection's outgoing packets, written once per event-loop turn: the
 * frames of a turn (a fan-in subscriber gets hundreds per 64 KiB a publisher
 * sends) are copied into one buffer and handed to the transport in one `send`.
 * A socket's write queue then holds one object per turn instead of one per
 * packet, which is what kept fan-in messages alive across scavenges (old-space
 * growth, GC at a third of the CPU). A single frame goes out as it is (no copy).
 *
 * Bounded: the frames waiting here plus the transport's write buffer never
 * exceed the transport's `maxBufferedBytes`; the frame that would go over it is
 * handed to the transport, which closes the connection as a slow consumer.
 * `outputBacklogged` is true from a write that left the transport at or over its
 * high-water mark until the transport drains (the broker then pauses the
 * publishers feeding this connection, see `DeliveryLoad.pauseForOutput`).
 *
 * Design: the bottom layer of a client connection (`ClientConnection` extends
 * `ConnectionTimers` extends this), not an object of its own: one object per
 * connection instead of three saves their headers and back-pointers on every
 * idle connection (issue 19). Its state is its own (private); the connection
 * uses the protected methods and hears of a drain through `outputDrained`.
 */
export abstract class Outbound implements TurnEndTask {
  /**
   * The frame of this turn while it has one: an idle client's turns (CONNACK,
   * SUBACK, PINGRESP) never have two, so it never holds an array.
   */
  private single: Uint8Array | undefined = undefined;
  /** Frames of this turn, in order, once a turn had two (reused: emptied at every write). */
  private frames: Uint8Array[] | undefined = undefined;
  private pending = 0;
  /** The `SCHEDULED`, `CONGESTED` and `DRAIN_WATCHED` bits: one field instead of three. */
  private outputFlags = 0;

  protected constructor(readonly transport: Connection) {}

  /** The transport's write buffer went back under its high-water mark after a write that went over it. */
  protected abstract outputDrained(): void;

  /** Bytes waiting for the end of the turn. */
  protected get outputPendingBytes(): number {
    return this.pending;
  }

  /** Bytes held for this client: packets waiting for the end of the turn plus the transport's write buffer. */
  get outputHeldBytes(): number {
    return this.pending + this.transport.bufferedBytes;
  }

  /** True from a write that filled the transport past its high-water mark until it drains. */
  get outputBacklogged(): boolean {
    return (this.outputFlags & CONGESTED) !== 0;
  }

  /** Queue one encoded packet for the end of the turn. */
  protected queueOutput(bytes: Uint8Array): void {
    const n = bytes.length;
    if (this.pending + n + this.transport.bufferedBytes > this.transport.maxBufferedBytes) {
      // Over the bound: what waits goes first, then this frame, which the transport refuses (slow consumer).
      this.writeOutput();
      this.sendNow(bytes);
      return;
    }
    if (this.single === undefined && (this.frames === undefined || this.frames.length === 0))
      this.single = bytes;
    else {
      this.frames ??= [];
      if (this.single !== undefined) this.frames.push(this.single);
      this.single = undefined;
      this.frames.push(bytes);
    }
    this.pending += n;
    if (this.pending >= OUTBOUND_BATCH_BYTES) this.writeOutput();
    else if ((this.outputFlags & SCHEDULED) === 0) {
      this.outputFlags |= SCHEDULED;
      atTurnEnd(this);
    }
  }

  /** Write what waits now (before a close, so the last packets go out first). */
  protected flushOutput(): void {
    this.writeOutput();
  }

  /** @internal The end of the turn (one reaction for every connection's batch, see `atTurnEnd`). */
  turnEnded(): void {
    this.outputFlags &= ~SCHEDULED;
    this.writeOutput();
  }

  private writeOutput(): void {
    const single = this.single;
    if (single !== undefined) {
      this.single = undefined;
      this.pending = 0;
      this.sendNow(single);
      return;
    }
    const frames = this.frames;
    if (frames === undefined || frames.length === 0) return;
    const total = this.pending;
    let chunk: Uint8Array;
    if (frames.length === 1) chunk = frames[0] as Uint8Array;
    else {
      // One copy per frame into one allocation (Buffer.allocUnsafe takes small sizes from Node's pool).
      chunk = Buffer.allocUnsafe(total);
      let offset = 0;
      for (const frame of frames) {
        chunk.set(frame, offset);
        offset += frame.length;
      }
    }
    // `pop` keeps the slots for the next turn's frames (`length = 0` would let them go).
    if (frames.length > 1024) this.frames = [];
    else while (frames.length > 0) frames.pop();
    this.pending = 0;
    this.sendNow(chunk);
  }

  private sendNow(chunk: Uint8Array): void {
    if (this.transport.send(chunk) || this.transport.isClosed) return;
    this.outputFlags |= CONGESTED;
    if ((this.outputFlags & DRAIN_WATCHED) === 0) {
      this.outputFlags |= DRAIN_WATCHED;
      // One listener for the connection's life, made on its first congestion only.
      this.transport.onDrain(() => this.drained());
    }
  }

  private drained(): void {
    if ((this.outputFlags & CONGESTED) === 0) return;
    this.outputFlags &= ~CONGESTED;
    this.outputDrained();
  }
}
