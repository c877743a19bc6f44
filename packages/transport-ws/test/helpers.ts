import type { Connection } from "@amqtt/transport";
import { afterEach } from "vitest";
import { WebSocket } from "ws";
import { listenWs, type WsListener, type WsListenOptions } from "../src/server.js";

const listeners: WsListener[] = [];
const connections: Connection[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  for (const connection of connections.splice(0)) connection.abort();
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

/** Track a connection for clean-up after the test. */
export function tracked<T extends Connection>(connection: T): T {
  connections.push(connection);
  return connection;
}

/** A loopback listener whose accepted connections are tracked; `next()` waits for the next one. */
export async function startListener(options: WsListenOptions = {}) {
  const waiting: Array<(connection: Connection) => void> = [];
  const listener = await listenWs({
    host: "127.0.0.1",
    port: 0,
    ...options,
    onConnection: (connection) => {
      tracked(connection);
      waiting.shift()?.(connection);
    },
  });
  listeners.push(listener);
  const url = `ws://127.0.0.1:${listener.address().port}${options.path ?? "/"}`;
  const next = (): Promise<Connection> => new Promise((resolve) => waiting.push(resolve));
  return { listener, url, next };
}

/** A raw `ws` client, tracked; resolves when open or rejects with the HTTP status that refused it. */
export function rawClient(url: string, protocols: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols);
    sockets.push(socket);
    socket.once("open", () => resolve(socket));
    socket.once("unexpected-response", (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    );
    socket.once("error", reject);
  });
}
