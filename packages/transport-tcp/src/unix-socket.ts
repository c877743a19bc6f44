import { chmodSync, chownSync, lstatSync, unlinkSync } from "node:fs";
import { connect, type Server } from "node:net";
import { TransportError } from "@amqtt/transport";

/** File mode and owner of a unix domain socket listener's file. */
export interface UnixSocketOptions {
  /** Permission bits, e.g. `0o660` (owner and group may connect). Default: the process umask's. */
  mode?: number;
  /** Owner user id (needs the privilege to change it). Default: the process's. */
  uid?: number;
  /** Owner group id. Default: the process's. */
  gid?: number;
}

/** A unix socket path is in use by a live listener, or is a file that is not a socket. */
export class UnixSocketInUseError extends TransportError {
  override name = "UnixSocketInUseError";
  /** The path. */
  readonly path: string;
  constructor(path: string, detail: string) {
    super(`cannot listen on unix socket ${path}: ${detail}`);
    this.path = path;
  }
}

/** True when something accepts connections on the socket file `path`. */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

/**
 * Listen on `path`, replacing a stale socket file left by a process that died
 * (nothing accepts on it), then set its mode and owner. A live socket or a
 * non-socket file at `path` throws {@link UnixSocketInUseError}.
 */
export async function listenUnix(
  server: Server,
  path: string,
  options: UnixSocketOptions,
  backlog: number | undefined,
): Promise<void> {
  let stat: ReturnType<typeof lstatSync> | undefined;
  try {
    stat = lstatSync(path);
  } catch {
    stat = undefined;
  }
  if (stat !== undefined) {
    if (!stat.isSocket()) throw new UnixSocketInUseError(path, "the file exists and is not a socket");
    if (await isLive(path)) throw new UnixSocketInUseError(path, "another process accepts connections on it");
    unlinkSync(path);
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ path, ...(backlog === undefined ? {} : { backlog }) }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  if (options.mode !== undefined) chmodSync(path, options.mode);
  if (options.uid !== undefined || options.gid !== undefined)
    chownSync(path, options.uid ?? -1, options.gid ?? -1);
}

/** Remove the socket file at `path` if it is still there (ignored when gone). */
export function removeSocketFile(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Already removed (Node may unlink it on close).
  }
}
