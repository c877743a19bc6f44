import {
  type AddressInfo,
  type Connection,
  type ConnectionOptions,
  ConnectionRefusedError,
  type Dialer,
  ListenerBase,
  ListenerCore,
  type ListenOptions,
  TooManyConnectionsError,
} from "@amqtt/transport";
import { MemoryConnection } from "./memory-connection.js";

/**
 * A namespace of in-process listeners, passed explicitly (no global registry):
 * a broker listens on a name, clients dial that name.
 */
export class MemoryHub implements Dialer<string> {
  readonly #listeners = new Map<string, MemoryListener>();

  /** Start a listener on `name`. Throws if the name is taken. */
  listen(name: string, options: ListenOptions = {}): MemoryListener {
    if (this.#listeners.has(name)) throw new Error(`memory listener "${name}" already exists`);
    const listener = new MemoryListener(name, options, () => this.#listeners.delete(name));
    this.#listeners.set(name, listener);
    return listener;
  }

  /**
   * Connect to the listener on `name`. Rejects with {@link ConnectionRefusedError}
   * when nothing listens there or the listener is at `maxConnections`.
   */
  async dial(name: string, options?: ConnectionOptions): Promise<Connection> {
    const listener = this.#listeners.get(name);
    if (listener === undefined) throw new ConnectionRefusedError(`no memory listener named "${name}"`);
    return listener.connect(options);
  }
}

/** A listener of a {@link MemoryHub}. */
export class MemoryListener extends ListenerBase {
  readonly #name: string;
  readonly #unregister: () => void;
  #dialed = 0;

  /** Use {@link MemoryHub.listen}. @internal */
  constructor(name: string, options: ListenOptions, unregister: () => void) {
    super(new ListenerCore(options));
    this.#name = name;
    this.#unregister = unregister;
  }

  /** See {@link Listener.address}. */
  address(): AddressInfo {
    return { transport: "memory", path: this.#name };
  }

  /** Create a pair, hand the accepted end to the handler, return the dialer's end. @internal */
  connect(options: ConnectionOptions = {}): Connection {
    if (this.core.isFull) {
      throw new ConnectionRefusedError(`memory listener "${this.#name}" refused the connection`, {
        cause: new TooManyConnectionsError(this.core.maxConnections),
      });
    }
    const id = ++this.#dialed;
    const [client, server] = MemoryConnection.createPair(
      { address: { transport: "memory", path: `${this.#name}#${id}` }, options },
      { address: this.address(), options: this.core.connectionOptions },
    );
    this.core.accept(server);
    return client;
  }

  /** Leave the hub: the name is free again and dialing it is refused. */
  protected stopAccepting(): Promise<void> {
    this.#unregister();
    return Promise.resolve();
  }
}
