import type { Connection } from "./connection.js";

/**
 * Resolve when `connection` drains or closes, whichever comes first. Use it after
 * a `send` returned `false`:
 * `if (!connection.send(bytes)) await waitForDrain(connection);`
 */
export function waitForDrain(connection: Connection): Promise<void> {
  if (connection.isClosed) return Promise.resolve();
  return new Promise((resolve) => {
    const off = connection.onDrain(() => {
      off();
      resolve();
    });
    void connection.closed.then(() => {
      off();
      resolve();
    });
  });
}
