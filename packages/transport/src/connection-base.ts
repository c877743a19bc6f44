import {
  type AddressInfo,
  type CloseInfo,
  type CloseInitiator,
  type Connection,
  type ConnectionOptions,
  type ConnectionReader,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_READ_HIGH_WATER_MARK,
  DEFAULT_WRITE_HIGH_WATER_MARK,
  type TlsInfo,
} from "./connection.js";
import { CloseTimeoutError, SlowConsumerError, TransportError } from "./errors.js";

type State = "open" | "closing" | "closed";

// Bits of `ConnectionBase.#flags`.
/** The carrier is paused because the receive queue reached `readHighWaterMark`. */
const READ_PAUSED = 1;
/** The carrier closed: no more input. */
const INPUT_ENDED = 2;
/** Nobody will read (aborted, or the iterator returned): input is dropped. */
const DISCARD_INPUT = 4;
/** The push-style reader asked for a pause. */
const READER_PAUSED = 8;
/** The push-style reader got its `end`. */
const READER_ENDED = 16;
/** A send returned false: drain listeners run when the write buffer goes down. */
const NEED_DRAIN = 32;

/** How a connection is ending: made by the first close, abort or end of input (an open connection has none). */
interface Ending {
  initiator: CloseInitiator | undefined;
  reason: Error | undefined;
  closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** How it ended, once closed. */
  info: CloseInfo | undefined;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The shared core of a {@link Connection}, for transport authors. It owns the
 * contract every transport must keep — the bounded receive queue that pauses the
 * carrier, the write bound, drain notifications, idempotent close/abort, the close
 * timeout and the single `closed` resolution — so a transport only adapts its
 * carrier through the protected hooks. Runtime-neutral.
 */
export abstract class ConnectionBase implements Connection {
  /** See {@link Connection.localAddress}. */
  abstract readonly localAddress: AddressInfo;
  /** See {@link Connection.remoteAddress}. */
  abstract readonly remoteAddress: AddressInfo;
  /** The four bounds, shared by every connection made with the same options object (a listener's). */
  readonly #limits: Limits;

  /** See {@link ConnectionOptions.maxBufferedBytes}. */
  get maxBufferedBytes(): number {
    return this.#limits.maxBufferedBytes;
  }
  /** See {@link ConnectionOptions.readHighWaterMark}. */
  get readHighWaterMark(): number {
    return this.#limits.readHighWaterMark;
  }
  /** See {@link ConnectionOptions.writeHighWaterMark}. */
  get writeHighWaterMark(): number {
    return this.#limits.writeHighWaterMark;
  }
  /** See {@link ConnectionOptions.closeTimeoutMs}. */
  get closeTimeoutMs(): number {
    return this.#limits.closeTimeoutMs;
  }
  /** See {@link ConnectionOptions.sendsBatched}. */
  get sendsBatched(): boolean {
    return this.#limits.sendsBatched;
  }

  #state: State = "open";
  /** The boolean states, one bit each (see the `READ_PAUSED`... constants): one field instead of six. */
  #flags = 0;
  /**
   * Who closed, why, the close timer and the outcome: one field, made when the
   * connection starts ending, instead of four in every open connection (issue 19).
   */
  #ending: Ending | undefined = undefined;
  /**
   * `closed`, made on first read: most connections never have it read (listeners
   * use `whenClosed`), and a promise with its resolve function costs ~160 bytes
   * of heap per idle connection.
   */
  #closed: Promise<CloseInfo> | undefined;
  #resolveClosed: ((info: CloseInfo) => void) | undefined;

  // Receive queue: chunks[head..] are unread; head avoids Array#shift copies. An
  // empty queue is the shared NO_CHUNKS (never written): a connection whose reader
  // keeps up never holds an array.
  #chunks: Uint8Array[] = NO_CHUNKS;
  #head = 0;
  #readBuffered = 0;
  #waiter: ((result: IteratorResult<Uint8Array>) => void) | undefined;
  #iterator: AsyncIterator<Uint8Array> | undefined;
  // Push-style reading (`read`): no promise per chunk and no iterator per connection.
  #reader: ConnectionReader | undefined;

  /** A listener's bookkeeping, called once at close (a promise reaction per connection costs more). */
  #closedHook: ((connection: ConnectionBase) => void) | undefined;

  /** Made by the first `onDrain` (most connections never wait for a drain). */
  #drainListeners: Set<() => void> | undefined;

  protected constructor(options: ConnectionOptions = {}) {
    this.#limits = limitsOf(options);
  }

  /** See {@link Connection.closed}. */
  get closed(): Promise<CloseInfo> {
    if (this.#closed === undefined) {
      const info = this.#ending?.info;
      this.#closed =
        info !== undefined
          ? Promise.resolve(info)
          : new Promise<CloseInfo>((resolve) => {
              this.#resolveClosed = resolve;
            });
    }
    return this.#closed;
  }

  // ---- hooks a transport implements ----

  /** Bytes the carrier holds that it has not yet handed to the network. */
  protected abstract get carrierBufferedBytes(): number;
  /** Hand bytes to the carrier. Return `false` when its buffer is at or over the high-water mark. */
  protected abstract write(bytes: Uint8Array): boolean;
  /** Stop reading from the carrier. */
  protected abstract pauseCarrier(): void;
  /** Start reading from the carrier again. */
  protected abstract resumeCarrier(): void;
  /** Flush, then end the carrier; must lead to {@link ConnectionBase.carrierClosed}. */
  protected abstract endCarrier(): void;
  /** Tear the carrier down now; must lead to {@link ConnectionBase.carrierClosed}. */
  protected abstract destroyCarrier(reason: Error | undefined): void;

  // ---- notifications a transport calls ----

  /** The carrier received bytes. */
  protected carrierReceived(chunk: Uint8Array): void {
    if (this.#state === "closed" || (this.#flags & DISCARD_INPUT) !== 0 || chunk.length === 0) return;
    const reader = this.#reader;
    if (reader !== undefined && (this.#flags & READER_PAUSED) === 0 && this.#head === this.#chunks.length) {
      reader.data(chunk);
      return;
    }
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter({ done: false, value: chunk });
      return;
    }
    if (this.#chunks === NO_CHUNKS) this.#chunks = [];
    this.#chunks.push(chunk);
    this.#readBuffered += chunk.length;
    if (this.#readBuffered > this.maxBufferedBytes) {
      this.abort(new SlowConsumerError("read", this.#readBuffered, this.maxBufferedBytes));
    } else if (this.#readBuffered >= this.readHighWaterMark && (this.#flags & READ_PAUSED) === 0) {
      this.#flags |= READ_PAUSED;
      this.pauseCarrier();
    }
  }

  /** The carrier's write buffer went down; drain listeners run if a send returned `false`. */
  protected carrierDrained(): void {
    if (
      (this.#flags & NEED_DRAIN) === 0 ||
      this.#state !== "open" ||
      this.carrierBufferedBytes >= this.writeHighWaterMark
    )
      return;
    this.#flags &= ~NEED_DRAIN;
    if (this.#drainListeners === undefined) return;
    for (const listener of [...this.#drainListeners]) listener();
  }

  /** The peer is ending the connection (e.g. TCP FIN, WebSocket close frame): sends now fail. */
  protected carrierEnding(): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#endingMade().initiator = "remote";
  }

  /** The carrier is fully closed. `error` is the carrier's error, if it failed. */
  protected carrierClosed(error?: Error): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    const ending = this.#endingMade();
    if (ending.closeTimer !== undefined) clearTimeout(ending.closeTimer);
    this.#drainListeners = undefined;
    this.#flags |= INPUT_ENDED;
    this.#wakeAtEnd();
    const info: CloseInfo = { initiator: ending.initiator ?? "remote", error: ending.reason ?? error };
    ending.info = info;
    const resolve = this.#resolveClosed;
    this.#resolveClosed = undefined;
    resolve?.(info);
    const hook = this.#closedHook;
    this.#closedHook = undefined;
    hook?.(this);
  }

  /**
   * For listeners: call `hook` once when the connection is fully closed (at once
   * if it is), like `closed.then` but without a promise reaction per connection.
   * One hook per connection.
   */
  whenClosed(hook: (connection: ConnectionBase) => void): void {
    if (this.#closedHook !== undefined) throw new TransportError("a connection has a single close hook");
    if (this.#state === "closed") hook(this);
    else this.#closedHook = hook;
  }

  // ---- the public contract ----

  /** See {@link Connection.tls}; `undefined` unless a transport overrides it. */
  get tls(): TlsInfo | undefined {
    return undefined;
  }

  /** See {@link Connection.bufferedBytes}. */
  get bufferedBytes(): number {
    return this.#state === "closed" ? 0 : this.carrierBufferedBytes;
  }

  /** See {@link Connection.readBufferedBytes}. */
  get readBufferedBytes(): number {
    return this.#readBuffered;
  }

  /** See {@link Connection.isClosed}. */
  get isClosed(): boolean {
    return this.#state !== "open";
  }

  /** See {@link Connection.send}. */
  send(bytes: Uint8Array): boolean {
    if (this.#state !== "open") return false;
    const total = this.carrierBufferedBytes + bytes.length;
    if (total > this.maxBufferedBytes) {
      this.abort(new SlowConsumerError("write", total, this.maxBufferedBytes));
      return false;
    }
    if (this.write(bytes)) return true;
    this.#flags |= NEED_DRAIN;
    return false;
  }

  /** See {@link Connection.onDrain}. */
  onDrain(listener: () => void): () => void {
    this.#drainListeners ??= new Set();
    const listeners = this.#drainListeners;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** See {@link Connection.close}. */
  close(reason?: Error): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    const ending = this.#endingMade();
    ending.initiator = "local";
    ending.reason = reason;
    const timer = setTimeout(
      () => this.abort(new CloseTimeoutError(this.closeTimeoutMs)),
      this.closeTimeoutMs,
    );
    (timer as { unref?: () => void }).unref?.();
    ending.closeTimer = timer;
    this.endCarrier();
  }

  /** See {@link Connection.abort}. */
  abort(reason?: Error): void {
    if (this.#state === "closed") return;
    const ending = this.#endingMade();
    ending.initiator ??= "local";
    // The first reason given wins; a plain close() that times out reports the timeout.
    if (ending.initiator === "local") ending.reason ??= reason;
    this.#state = "closing";
    this.#dropInput();
    this.destroyCarrier(reason);
  }

  /** See {@link Connection.read}. */
  read(reader: ConnectionReader): void {
    if (this.#iterator !== undefined || this.#reader !== undefined)
      throw new TransportError("a connection has a single reader");
    this.#reader = reader;
    this.#pump();
  }

  /** See {@link Connection.pauseReading}. */
  pauseReading(): void {
    if (this.#reader !== undefined) this.#flags |= READER_PAUSED;
  }

  /** See {@link Connection.resumeReading}. */
  resumeReading(): void {
    if ((this.#flags & READER_PAUSED) === 0) return;
    this.#flags &= ~READER_PAUSED;
    this.#pump();
  }

  /** Read received bytes; one consumer per connection. Leaving the loop early closes the connection. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterator !== undefined || this.#reader !== undefined)
      throw new TransportError("a connection has a single reader");
    this.#iterator = {
      next: () => this.#next(),
      return: async () => {
        this.#dropInput();
        this.close();
        return DONE;
      },
    };
    return this.#iterator;
  }

  #endingMade(): Ending {
    this.#ending ??= { initiator: undefined, reason: undefined, closeTimer: undefined, info: undefined };
    return this.#ending;
  }

  /** Take the oldest queued chunk (the caller checked there is one). */
  #shift(): Uint8Array {
    const chunk = this.#chunks[this.#head]!;
    this.#chunks[this.#head++] = EMPTY;
    if (this.#head === this.#chunks.length) {
      this.#chunks = NO_CHUNKS;
      this.#head = 0;
    }
    this.#readBuffered -= chunk.length;
    if ((this.#flags & READ_PAUSED) !== 0 && this.#readBuffered < this.readHighWaterMark) {
      this.#flags &= ~READ_PAUSED;
      if (this.#state !== "closed") this.resumeCarrier();
    }
    return chunk;
  }

  /** Push queued chunks to the reader until it pauses, then the end once input is over. */
  #pump(): void {
    const reader = this.#reader;
    if (reader === undefined) return;
    while ((this.#flags & READER_PAUSED) === 0 && this.#head < this.#chunks.length)
      reader.data(this.#shift());
    if (this.#head < this.#chunks.length || (this.#flags & READER_ENDED) !== 0) return;
    if ((this.#flags & INPUT_ENDED) !== 0 || (this.#flags & DISCARD_INPUT) !== 0) {
      this.#flags |= READER_ENDED;
      reader.end();
    }
  }

  #next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#head < this.#chunks.length) return Promise.resolve({ done: false, value: this.#shift() });
    if ((this.#flags & INPUT_ENDED) !== 0 || (this.#flags & DISCARD_INPUT) !== 0)
      return Promise.resolve(DONE);
    if (this.#waiter !== undefined)
      return Promise.reject(new TransportError("concurrent read on a connection"));
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  #wakeAtEnd(): void {
    if (this.#head < this.#chunks.length) return;
    if (this.#reader !== undefined) {
      // The end reaches a paused reader too: there is nothing left for it to read.
      if ((this.#flags & READER_ENDED) === 0) {
        this.#flags |= READER_ENDED;
        this.#reader.end();
      }
      return;
    }
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(DONE);
  }

  // Nobody will read what is queued: free it and let the carrier run to its end.
  #dropInput(): void {
    this.#flags |= DISCARD_INPUT;
    this.#chunks = NO_CHUNKS;
    this.#head = 0;
    this.#readBuffered = 0;
    this.#wakeAtEnd();
    if ((this.#flags & READ_PAUSED) !== 0 && this.#state !== "closed") {
      this.#flags &= ~READ_PAUSED;
      this.resumeCarrier();
    }
  }
}

const EMPTY = new Uint8Array(0);

/** The empty receive queue of every connection (never pushed to). */
const NO_CHUNKS: Uint8Array[] = [];

/** The bounds of a connection, validated once per options object. */
interface Limits {
  /** The options object's values when the limits were made (undefined: the default). */
  readonly given: Readonly<
    Pick<
      ConnectionOptions,
      "maxBufferedBytes" | "readHighWaterMark" | "writeHighWaterMark" | "closeTimeoutMs" | "sendsBatched"
    >
  >;
  readonly maxBufferedBytes: number;
  readonly readHighWaterMark: number;
  readonly writeHighWaterMark: number;
  readonly closeTimeoutMs: number;
  readonly sendsBatched: boolean;
}

/**
 * Limits by options object: a listener passes one object for all its connections,
 * so they share one `Limits` (four fields fewer per idle connection). Each
 * connection still reads the options when it is made, as when it copied them.
 */
const limitsByOptions = new WeakMap<ConnectionOptions, Limits>();

/** The limits of options that set none (a dialled connection's `{}`): no cache entry per connection. */
const DEFAULT_LIMITS: Limits = {
  given: {},
  maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES,
  readHighWaterMark: DEFAULT_READ_HIGH_WATER_MARK,
  writeHighWaterMark: DEFAULT_WRITE_HIGH_WATER_MARK,
  closeTimeoutMs: DEFAULT_CLOSE_TIMEOUT_MS,
  sendsBatched: false,
};

function limitsOf(options: ConnectionOptions): Limits {
  if (
    options.maxBufferedBytes === undefined &&
    options.readHighWaterMark === undefined &&
    options.writeHighWaterMark === undefined &&
    options.closeTimeoutMs === undefined &&
    options.sendsBatched === undefined
  )
    return DEFAULT_LIMITS;
  const known = limitsByOptions.get(options);
  // An options object edited since (reused for another connection): new limits, as a copy would have had.
  if (
    known !== undefined &&
    known.given.maxBufferedBytes === options.maxBufferedBytes &&
    known.given.readHighWaterMark === options.readHighWaterMark &&
    known.given.writeHighWaterMark === options.writeHighWaterMark &&
    known.given.closeTimeoutMs === options.closeTimeoutMs &&
    known.given.sendsBatched === options.sendsBatched
  )
    return known;
  const limits: Limits = {
    given: {
      maxBufferedBytes: options.maxBufferedBytes,
      readHighWaterMark: options.readHighWaterMark,
      writeHighWaterMark: options.writeHighWaterMark,
      closeTimeoutMs: options.closeTimeoutMs,
      sendsBatched: options.sendsBatched,
    },
    maxBufferedBytes: positive(options.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES, "maxBufferedBytes"),
    readHighWaterMark: positive(options.readHighWaterMark, DEFAULT_READ_HIGH_WATER_MARK, "readHighWaterMark"),
    writeHighWaterMark: positive(
      options.writeHighWaterMark,
      DEFAULT_WRITE_HIGH_WATER_MARK,
      "writeHighWaterMark",
    ),
    closeTimeoutMs: positive(options.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS, "closeTimeoutMs"),
    sendsBatched: options.sendsBatched === true,
  };
  limitsByOptions.set(options, limits);
  return limits;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
