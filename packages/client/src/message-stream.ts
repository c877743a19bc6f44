import type { IncomingApplicationMessage } from "@amqtt/message";
import type { ClientContext } from "./client-context.js";
import { AbortError, ClosedError } from "./errors.js";

type Result = IteratorResult<IncomingApplicationMessage, void>;

const DONE: IteratorReturnResult<void> = Object.freeze({ done: true, value: undefined });

/**
 * What `MQTTClient.messages()` returns: the received messages matching a filter,
 * ending when the client is disconnected (after the messages still queued), and
 * throwing `AbortError` once its signal aborts. It behaves as the async generator
 * it replaced, but a message that arrives while a `next()` waits settles that
 * call's promise directly from the delivery queue: one promise per message, no
 * generator or `deliverMessage` guard in between.
 */
export class MessageStream implements AsyncGenerator<IncomingApplicationMessage, void, undefined> {
  #finished = false;
  /** The settle functions of the `next()` waiting for a message. */
  #resolve: ((result: Result) => void) | undefined;
  #reject: ((error: Error) => void) | undefined;
  /** The delivery queue's token of that wait, until a message or the end answers it. */
  #waitToken: object | undefined;
  /** The promise of the last `next()` that waited (later overlapping calls chain on it). */
  #current: Promise<Result> | undefined;
  readonly #onClose = (error: Error): void => {
    if (error instanceof ClosedError) this.#settle(DONE);
    else this.#settle(undefined, error);
  };
  readonly #onAbort = (): void => {
    this.#settle(undefined, this.#abortError());
  };
  // One function for every wait (a closure per message would be garbage per message).
  readonly #deliver = (message: IncomingApplicationMessage): void => {
    this.#waitToken = undefined;
    this.#settle({ done: false, value: message });
  };

  constructor(
    private readonly ctx: ClientContext,
    private readonly filter: string | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** The next message, or the end. */
  next(): Promise<Result> {
    if (this.#resolve !== undefined && this.#current !== undefined) {
      // The generator it replaced answered overlapping calls in turn: so does this.
      const after = this.#current.then(
        () => this.next(),
        () => this.next(),
      );
      this.#current = after;
      return after;
    }
    if (this.#finished) return Promise.resolve(DONE);
    if (this.signal?.aborted) {
      this.#finish();
      return Promise.reject(this.#abortError());
    }
    const ctx = this.ctx;
    const queued = ctx.delivery.takeQueued(this.filter);
    if (queued !== undefined) return Promise.resolve({ done: false, value: queued });
    if (ctx.state === "closed") {
      this.#finish();
      return Promise.resolve(DONE);
    }
    const waited = new Promise<Result>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#current = waited;
    this.#waitToken = ctx.delivery.wait(this.filter, this.#deliver);
    ctx.closeListeners.add(this.#onClose);
    this.signal?.addEventListener("abort", this.#onAbort, { once: true });
    return waited;
  }

  /** Stop: a `for await` loop left early (break, return, throw) calls this. */
  return(): Promise<Result> {
    this.#finish();
    this.#settle(DONE);
    return Promise.resolve(DONE);
  }

  /** Stop, and reject with `error` (as a generator thrown into before it yields). */
  throw(error: unknown): Promise<Result> {
    this.#finish();
    this.#settle(DONE);
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #abortError(): AbortError {
    return new AbortError("deliverMessage aborted", { cause: this.signal?.reason });
  }

  /** Answer the waiting `next()`, if any, and stop listening. An error ends the stream. */
  #settle(result: Result | undefined, error?: Error): void {
    const resolve = this.#resolve;
    const reject = this.#reject;
    if (resolve === undefined || reject === undefined) return;
    this.#resolve = undefined;
    this.#reject = undefined;
    if (this.#waitToken !== undefined) this.ctx.delivery.cancelWait(this.#waitToken);
    this.#waitToken = undefined;
    this.ctx.closeListeners.delete(this.#onClose);
    this.signal?.removeEventListener("abort", this.#onAbort);
    if (error !== undefined) {
      this.#finished = true;
      reject(error);
    } else resolve(result ?? DONE);
  }

  #finish(): void {
    this.#finished = true;
  }
}
