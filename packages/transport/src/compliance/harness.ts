import type { Connection, ConnectionOptions } from "../connection.js";
import type { Listener, ListenOptions } from "../listener.js";

/** A started listener plus a way to dial it; what a {@link TransportHarness} returns. */
export interface HarnessEndpoint {
  /** The listener under test. */
  readonly listener: Listener;
  /** Open a connection to `listener`. */
  dial(options?: ConnectionOptions): Promise<Connection>;
}

/** How the compliance suite reaches a transport: start a listener (loopback, port 0) and dial it. */
export interface TransportHarness {
  /** Start a listener with these options. The suite closes it after each test. */
  listen(options: ListenOptions): Promise<HarnessEndpoint>;
}

/** Both ends of one connection: `client` from the dialer, `server` from the listener. */
export interface ConnectedPair {
  readonly client: Connection;
  readonly server: Connection;
  readonly endpoint: HarnessEndpoint;
}

/** What each group of compliance tests gets: tracked resources, released after every test. */
export interface SuiteContext {
  /** Start a tracked listener. */
  listen(options?: ListenOptions): Promise<HarnessEndpoint>;
  /** Start a tracked listener and connect one pair through it. */
  pair(options?: { client?: ConnectionOptions; server?: ConnectionOptions }): Promise<ConnectedPair>;
  /** Dial `endpoint` and wait for the listener to hand over the accepted side. */
  connect(endpoint: HarnessEndpoint, client?: ConnectionOptions): Promise<ConnectedPair>;
}

/** Builds the {@link SuiteContext} and the clean-up the suite runs in `afterEach`. */
export function createSuiteContext(harness: TransportHarness): {
  context: SuiteContext;
  cleanup(): Promise<void>;
} {
  const listeners: Listener[] = [];
  const connections: Connection[] = [];
  const pendingAccepts = new Map<Listener, Array<(connection: Connection) => void>>();

  const track = (connection: Connection): Connection => {
    connections.push(connection);
    return connection;
  };

  const context: SuiteContext = {
    async listen(options = {}) {
      const endpoint = await harness.listen({
        ...options,
        onConnection: (connection) => {
          track(connection);
          options.onConnection?.(connection);
          pendingAccepts.get(endpoint.listener)?.shift()?.(connection);
        },
      });
      listeners.push(endpoint.listener);
      pendingAccepts.set(endpoint.listener, []);
      return {
        listener: endpoint.listener,
        dial: async (dialOptions) => track(await endpoint.dial(dialOptions)),
      };
    },
    async connect(endpoint, client) {
      const accepted = new Promise<Connection>((resolve) =>
        pendingAccepts.get(endpoint.listener)?.push(resolve),
      );
      const dialed = await endpoint.dial(client);
      return { client: dialed, server: await accepted, endpoint };
    },
    async pair(options = {}) {
      const endpoint = await context.listen(options.server ? { connection: options.server } : {});
      return context.connect(endpoint, options.client);
    },
  };

  const cleanup = async (): Promise<void> => {
    for (const connection of connections.splice(0)) connection.abort();
    await Promise.all(listeners.splice(0).map((listener) => listener.close()));
    pendingAccepts.clear();
  };
  return { context, cleanup };
}
