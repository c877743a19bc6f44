import { expect, it } from "vitest";
import type { Connection } from "../connection.js";
import type { HarnessEndpoint, SuiteContext } from "./harness.js";
import { Reader } from "./helpers.js";

/** Outcome of a dial the listener should refuse: rejected, or accepted and closed at once. */
async function refusedOutcome(endpoint: HarnessEndpoint): Promise<"rejected" | "closed"> {
  let connection: Connection;
  try {
    connection = await endpoint.dial();
  } catch {
    return "rejected";
  }
  await connection.closed;
  return "closed";
}

/** Listener bookkeeping: the connection bound, address and shutdown. */
export function listenerTests(context: SuiteContext): void {
  it("reports the address it listens on", async () => {
    const endpoint = await context.listen();
    expect(endpoint.listener.address().transport).not.toBe("");
  });

  it("refuses connections over maxConnections without handing them to onConnection", async () => {
    const accepted: Connection[] = [];
    const endpoint = await context.listen({ maxConnections: 1, onConnection: (c) => accepted.push(c) });
    const first = await context.connect(endpoint);
    expect(endpoint.listener.maxConnections).toBe(1);
    expect(endpoint.listener.connectionCount).toBe(1);
    expect(["rejected", "closed"]).toContain(await refusedOutcome(endpoint));
    expect(accepted).toEqual([first.server]);
    expect(endpoint.listener.connectionCount).toBe(1);
    // The connection within the bound still works.
    first.client.send(new Uint8Array([42]));
    expect([...(await new Reader(first.server).read(1))]).toEqual([42]);
  });

  it("accepts again once a connection under maxConnections has closed", async () => {
    const endpoint = await context.listen({ maxConnections: 1 });
    const first = await context.connect(endpoint);
    first.client.close();
    await first.server.closed;
    expect(endpoint.listener.connectionCount).toBe(0);
    const second = await context.connect(endpoint);
    expect(second.server.isClosed).toBe(false);
    expect(endpoint.listener.connectionCount).toBe(1);
  });

  it("close() stops accepting and closes every accepted connection", async () => {
    const endpoint = await context.listen();
    const a = await context.connect(endpoint);
    const b = await context.connect(endpoint);
    await endpoint.listener.close();
    expect(a.server.isClosed && b.server.isClosed).toBe(true);
    expect((await a.client.closed).initiator).toBe("remote");
    expect((await b.client.closed).initiator).toBe("remote");
    expect(endpoint.listener.connectionCount).toBe(0);
    await expect(endpoint.dial()).rejects.toBeInstanceOf(Error);
  });
}
