import type { AddressInfo, Connection, ConnectionOptions } from "./connection.js";

/** Default bound on simultaneous connections per listener. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

/** Options every listener accepts. */
export interface ListenOptions {
  /**
   * Most connections open at once. A connection over the limit is refused before
   * it reaches {@link Listener.onConnection}: closed by the transport right after
   * it is accepted (TCP, TLS), answered with HTTP 503 (WebSocket) or rejected at
   * dial time (memory). Default {@link DEFAULT_MAX_CONNECTIONS}.
   */
  maxConnections?: number;
  /** Options for every accepted connection. */
  connection?: ConnectionOptions;
  /** Handler for accepted connections; same as calling {@link Listener.onConnection}. */
  onConnection?: (connection: Connection) => void;
  /**
   * Asked once for every new connection under `maxConnections`, as early as the
   * transport can: for TCP and TLS right after the accept, before a PROXY
   * header is read or a TLS handshake runs; for WebSocket on its own server
   * before the TLS handshake and the HTTP upgrade (on a mounted server, at the
   * upgrade request, refused with HTTP 429). `false` closes the connection
   * there, so a refused client costs no handshake (a connection rate).
   */
  admit?: () => boolean;
}

/** Options of a listener that binds a network port (TCP, TLS, WebSocket on its own port). */
export interface NetworkListenOptions extends ListenOptions {
  /** Interface to bind; Node's default (all interfaces) when omitted. Use `"127.0.0.1"` for loopback only. */
  host?: string;
  /** Port to bind; `0` picks a free one. Each transport documents its default. */
  port?: number;
}

/**
 * A started listener: it accepts connections until {@link Listener.close}.
 * Each transport has its own `listen(options)` factory that returns one.
 */
export interface Listener {
  /** Where the listener is reachable (the port is the real one when listening on port 0). */
  address(): AddressInfo;
  /**
   * Set the handler for accepted connections, replacing any earlier one. While no
   * handler is set, accepted connections are aborted.
   */
  onConnection(handler: (connection: Connection) => void): void;
  /** The bound on simultaneous connections. */
  readonly maxConnections: number;
  /** Connections accepted and not yet closed. */
  readonly connectionCount: number;
  /**
   * Stop accepting, close every accepted connection gracefully and resolve when
   * all of them are closed. Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/** Opens connections to a kind of target (a URL, a host and port, a name). */
export interface Dialer<Target> {
  /** Connect to `target`; rejects with the carrier's error when it cannot. */
  dial(target: Target, options?: ConnectionOptions): Promise<Connection>;
}
