import type { Connection, ConnectionOptions } from "./connection.js";
import { ConnectionBase } from "./connection-base.js";
import { NoConnectionHandlerError } from "./errors.js";
import { DEFAULT_MAX_CONNECTIONS, type ListenOptions } from "./listener.js";

/**
 * The bookkeeping every {@link Listener} shares, for transport authors: the
 * `maxConnections` bound, the `onConnection` handler, the set of open accepted
 * connections and closing them all. Runtime-neutral.
 */
export class ListenerCore {
  /** See {@link ListenOptions.maxConnections}. */
  readonly maxConnections: number;
  /** Options for every accepted connection. */
  readonly connectionOptions: ConnectionOptions;
  readonly #open = new Set<Connection>();
  #handler: ((connection: Connection) => void) | undefined;
  readonly #admit: (() => boolean) | undefined;
  #closing: Promise<void> | undefined;
  readonly #forget = (connection: Connection): void => {
    this.#open.delete(connection);
  };

  constructor(options: ListenOptions = {}) {
    const max = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`maxConnections must be a positive integer, got ${max}`);
    this.maxConnections = max;
    this.connectionOptions = options.connection ?? {};
    this.#handler = options.onConnection;
    this.#admit = options.admit;
  }

  /** See {@link ListenOptions.admit}: true when there is no such check. */
  admits(): boolean {
    return this.#admit === undefined || this.#admit();
  }

  /** Connections accepted and not yet closed. */
  get connectionCount(): number {
    return this.#open.size;
  }

  /** True when a new connection must be refused (at the bound, or closing). */
  get isFull(): boolean {
    return this.#closing !== undefined || this.#open.size >= this.maxConnections;
  }

  /** True once {@link ListenerCore.closeAll} was called. */
  get isClosing(): boolean {
    return this.#closing !== undefined;
  }

  /** See {@link Listener.onConnection}. */
  onConnection(handler: (connection: Connection) => void): void {
    this.#handler = handler;
  }

  /**
   * Count an accepted connection and hand it to the handler (aborting it when
   * there is none). Call only after checking {@link ListenerCore.isFull}.
   */
  accept(connection: Connection): void {
    this.#open.add(connection);
    if (connection instanceof ConnectionBase) connection.whenClosed(this.#forget);
    else void connection.closed.then(() => this.#forget(connection));
    const handler = this.#handler;
    if (handler === undefined) connection.abort(new NoConnectionHandlerError());
    else handler(connection);
  }

  /** Close every open accepted connection gracefully and resolve when all are closed. */
  closeAll(): Promise<void> {
    this.#closing ??= Promise.all(
      [...this.#open].map((connection) => {
        connection.close();
        return connection.closed;
      }),
    ).then(() => undefined);
    return this.#closing;
  }
}
