/** The W3C event fields the connection reads; `ws` and browsers both provide them. */
export interface WebSocketEventLike {
  /** Message data: binary as `ArrayBuffer` or a `Uint8Array` (`ws` "nodebuffer"), text as `string`. */
  readonly data?: unknown;
  /** Close status code. */
  readonly code?: number;
  /** Close reason. */
  readonly reason?: string;
  /** Error, for `ws` error events. */
  readonly error?: unknown;
  /** Error message, for error events. */
  readonly message?: string;
}

/**
 * The part of the W3C `WebSocket` API this transport uses, satisfied by the
 * browser's (and Node 22's) global `WebSocket` and by the `ws` package. The
 * optional `pause`/`resume`/`terminate` exist only in `ws` and enable real read
 * backpressure and abort.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** The subprotocol the server selected. */
  readonly protocol: string;
  /** Bytes queued by `send` and not yet transmitted. */
  readonly bufferedAmount: number;
  /** How binary messages are delivered. */
  binaryType: string;
  /** Send one binary message. */
  send(data: Uint8Array): void;
  /** Start the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Subscribe to `open`, `message`, `close`, `error`. */
  addEventListener(type: string, listener: (event: WebSocketEventLike) => void): void;
  /** Stop reading from the network (`ws` only). */
  pause?(): void;
  /** Resume reading from the network (`ws` only). */
  resume?(): void;
  /** Destroy the connection at once (`ws` only). */
  terminate?(): void;
}

/** A `WebSocket` constructor: the global one or `ws`'s. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;
