import {
  type AddressInfo,
  ConnectionBase,
  type ConnectionOptions,
  ConnectionResetError,
  type TlsInfo,
} from "@amqtt/transport";
import { NonBinaryFrameError, WebSocketCloseError } from "./errors.js";
import type { WebSocketEventLike, WebSocketLike } from "./websocket-like.js";

/** Close status: normal closure, and "no status" (RFC 6455 section 7.4.1). */
const NORMAL_CLOSURES = new Set([1000, 1005]);
/** Close status sent for a text frame [MQTT-6.0.0-1]: unsupported data. */
const UNSUPPORTED_DATA = 1003;
/** How often to look at `bufferedAmount` where the socket has no write callback (browsers). */
const DRAIN_POLL_MS = 10;

/**
 * A connection over an open WebSocket (from `ws` or a browser). Every MQTT byte
 * travels in binary frames; frame boundaries mean nothing, so a packet may span
 * frames and a frame may hold several packets [MQTT-6.0.0-2]. A text frame closes
 * the connection [MQTT-6.0.0-1]. With `ws`, reading pauses the socket; a browser
 * cannot pause a WebSocket, so there the read bound (`maxBufferedBytes`) is what
 * protects memory.
 */
export class WebSocketConnection extends ConnectionBase {
  /** See {@link Connection.localAddress}. */
  readonly localAddress: AddressInfo;
  /** See {@link Connection.remoteAddress}. */
  readonly remoteAddress: AddressInfo;
  /** The subprotocol in use (`"mqtt"` or `"mqttv3.1"`). */
  readonly protocol: string;
  readonly #socket: WebSocketLike;
  readonly #tls: TlsInfo | undefined;
  readonly #hasWriteCallback: boolean;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  #error: Error | undefined;

  /**
   * Wrap an open WebSocket. `listenWs` and `dialWs` do this for you.
   * @param addresses - both ends, as known to the creator
   */
  constructor(
    socket: WebSocketLike,
    addresses: { local: AddressInfo; remote: AddressInfo; tls?: TlsInfo },
    options: ConnectionOptions = {},
  ) {
    super(options);
    this.#socket = socket;
    this.localAddress = addresses.local;
    this.remoteAddress = addresses.remote;
    this.#tls = addresses.tls;
    this.protocol = socket.protocol;
    // `ws` takes a write callback and can hand binary data over without a copy.
    this.#hasWriteCallback = typeof socket.terminate === "function";
    socket.binaryType = this.#hasWriteCallback ? "nodebuffer" : "arraybuffer";
    socket.addEventListener("message", (event) => this.#onMessage(event));
    socket.addEventListener("error", (event) => {
      this.#error ??=
        event.error instanceof Error ? event.error : new Error(event.message ?? "WebSocket error");
    });
    socket.addEventListener("close", (event) => this.#onClose(event));
    if (socket.readyState === 3) queueMicrotask(() => this.carrierClosed(this.#error));
  }

  /** See {@link Connection.tls}. */
  override get tls(): TlsInfo | undefined {
    return this.#tls;
  }

  protected override get carrierBufferedBytes(): number {
    return this.#socket.bufferedAmount;
  }

  protected override write(bytes: Uint8Array): boolean {
    if (this.#hasWriteCallback) {
      (this.#socket.send as (data: Uint8Array, callback: () => void) => void)(bytes, this.#written);
    } else {
      this.#socket.send(bytes);
    }
    const below = this.#socket.bufferedAmount < this.writeHighWaterMark;
    if (!below && !this.#hasWriteCallback) this.#pollDrain();
    return below;
  }

  readonly #written = (): void => this.carrierDrained();

  #pollDrain(): void {
    if (this.#drainTimer !== undefined) return;
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = undefined;
      if (this.#socket.bufferedAmount >= this.writeHighWaterMark && this.#socket.readyState === 1) {
        this.#pollDrain();
      } else {
        this.carrierDrained();
      }
    }, DRAIN_POLL_MS);
  }

  protected override pauseCarrier(): void {
    this.#socket.pause?.();
  }

  protected override resumeCarrier(): void {
    this.#socket.resume?.();
  }

  protected override endCarrier(): void {
    this.#socket.close(1000);
  }

  protected override destroyCarrier(reason: Error | undefined): void {
    const socket = this.#socket;
    const textFrame = reason instanceof NonBinaryFrameError;
    if (socket.terminate === undefined) {
      // A W3C WebSocket cannot be torn down at once: start its closing handshake and
      // count the connection as closed now, as abort promises.
      socket.close(textFrame ? UNSUPPORTED_DATA : 1000);
      this.carrierClosed();
    } else if (textFrame) {
      // Tell the peer why [MQTT-6.0.0-1], but do not wait on it longer than a close may take.
      socket.close(UNSUPPORTED_DATA, "binary frames only");
      const timer = setTimeout(() => socket.terminate?.(), this.closeTimeoutMs);
      (timer as { unref?: () => void }).unref?.();
      socket.addEventListener("close", () => clearTimeout(timer));
    } else {
      socket.terminate();
    }
  }

  #onMessage(event: WebSocketEventLike): void {
    const data = event.data;
    if (data instanceof Uint8Array) this.carrierReceived(data);
    else if (data instanceof ArrayBuffer) this.carrierReceived(new Uint8Array(data));
    else this.abort(new NonBinaryFrameError()); // [MQTT-6.0.0-1]
  }

  #onClose(event: WebSocketEventLike): void {
    if (this.#drainTimer !== undefined) clearTimeout(this.#drainTimer);
    const code = event.code ?? 1005;
    let error = this.#error;
    if (error === undefined && code === 1006)
      error = new ConnectionResetError("WebSocket closed abnormally (1006)");
    else if (error === undefined && !NORMAL_CLOSURES.has(code))
      error = new WebSocketCloseError(code, event.reason ?? "");
    this.carrierEnding();
    this.carrierClosed(error);
  }
}
