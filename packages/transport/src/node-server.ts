import type { AddressInfo } from "./connection.js";

/** The members of a Node `net.Server` (or `http.Server`) that {@link listenOn} and {@link serverAddress} use. */
export interface NodeServerLike {
  listen(
    options: { host?: string | undefined; port?: number | undefined; backlog?: number | undefined },
    callback: () => void,
  ): unknown;
  once(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
  address(): { address: string; port: number; family: string } | string | null;
}

/** Start `server` listening; rejects with the server's error (e.g. `EADDRINUSE`). */
export function listenOn(
  server: NodeServerLike,
  options: { host?: string | undefined; port: number; backlog?: number | undefined },
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/**
 * Where `server` is bound, as an {@link AddressInfo} of `transport`. `path`
 * (a WebSocket upgrade path) is added when given; a server on a pipe or socket
 * file reports that file as `path` otherwise.
 */
export function serverAddress(server: NodeServerLike, transport: string, path?: string): AddressInfo {
  const bound = server.address();
  if (bound === null || typeof bound === "string") return { transport, path: path ?? bound ?? undefined };
  return {
    transport,
    host: bound.address,
    port: bound.port,
    family: bound.family,
    ...(path === undefined ? {} : { path }),
  };
}
