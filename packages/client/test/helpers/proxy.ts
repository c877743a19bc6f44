import { createServer, connect as netConnect, type Socket } from "node:net";
import { onCleanup } from "./brokers.js";

/**
 * A TCP proxy we control, between a client and a broker: it can cut every
 * connection (a network failure) or stall (stop forwarding without closing).
 */
export interface Proxy {
  url: string;
  /** Destroy every open connection pair. */
  cut(): void;
  /** Stop (true) or resume (false) forwarding in both directions, closes included, keeping the sockets open. */
  stall(on: boolean): void;
  /** Connection pairs opened so far. */
  readonly opened: number;
}

export async function startProxy(targetPort: number): Promise<Proxy> {
  const pairs = new Set<[Socket, Socket]>();
  let stalled = false;
  let opened = 0;
  const server = createServer((inbound) => {
    opened++;
    const outbound = netConnect(targetPort, "127.0.0.1");
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket): void => {
      from.on("data", (chunk) => {
        if (!stalled) to.write(chunk);
      });
    };
    forward(inbound, outbound);
    forward(outbound, inbound);
    const end = (): void => {
      // A stalled network carries no FIN or RST either: each side finds out by itself.
      if (stalled) return;
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on("close", end).on("error", end);
    outbound.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  onCleanup(async () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    cut: () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    stall: (on) => {
      stalled = on;
    },
    get opened() {
      return opened;
    },
  };
}
