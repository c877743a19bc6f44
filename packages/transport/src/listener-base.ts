import type { AddressInfo, Connection } from "./connection.js";
import type { Listener } from "./listener.js";
import type { ListenerCore } from "./listener-core.js";

/**
 * A {@link Listener} over a {@link ListenerCore}, for transport authors: the
 * bound, the count and the handler come from the core; `close()` stops
 * accepting (the subclass's {@link ListenerBase.stopAccepting}) and closes
 * every accepted connection, once.
 */
export abstract class ListenerBase implements Listener {
  /** The bookkeeping this listener shares with its accept path. */
  protected readonly core: ListenerCore;
  #closing: Promise<void> | undefined;

  protected constructor(core: ListenerCore) {
    this.core = core;
  }

  /** See {@link Listener.maxConnections}. */
  get maxConnections(): number {
    return this.core.maxConnections;
  }

  /** See {@link Listener.connectionCount}. */
  get connectionCount(): number {
    return this.core.connectionCount;
  }

  /** See {@link Listener.address}. */
  abstract address(): AddressInfo;

  /** See {@link Listener.onConnection}. */
  onConnection(handler: (connection: Connection) => void): void {
    this.core.onConnection(handler);
  }

  /** See {@link Listener.close}. */
  close(): Promise<void> {
    this.#closing ??= Promise.all([this.stopAccepting(), this.core.closeAll()]).then(() => undefined);
    return this.#closing;
  }

  /** Stop taking new connections (close the server, leave the registry, ...); called once. */
  protected abstract stopAccepting(): Promise<void>;
}
