import type { Connection } from "./connection.js";

/**
 * Callback-style reading on top of a connection's async iteration. Calls
 * `handler` for each received chunk, in order; when it returns a promise, the next
 * chunk waits for it, so a slow handler applies backpressure to the peer. Resolves
 * when the connection's input ends. If `handler` throws or rejects, the connection
 * is aborted with that error (visible in {@link Connection.closed}) and the
 * returned promise still resolves.
 */
export async function onData(
  connection: Connection,
  handler: (chunk: Uint8Array) => void | PromiseLike<void>,
): Promise<void> {
  // A manual loop, not for-await: leaving for-await on a throw would close()
  // gracefully before the catch could abort with the handler's error.
  const iterator = connection[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      const pending = handler(next.value);
      if (pending !== undefined) await pending;
    }
  } catch (error) {
    connection.abort(error instanceof Error ? error : new Error(String(error)));
  }
}
