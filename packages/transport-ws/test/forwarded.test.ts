import type { Connection } from "@amqtt/transport";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { listenWs, type WsListener } from "../src/server.js";

const listeners: WsListener[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

/** The remote address the listener reports for a client that sent `headers`. */
async function remoteSeen(trustedProxies: string[] | undefined, headers: Record<string, string>) {
  let accept!: (c: Connection) => void;
  const accepted = new Promise<Connection>((r) => (accept = r));
  const listener = await listenWs({
    host: "127.0.0.1",
    port: 0,
    ...(trustedProxies === undefined ? {} : { trustedProxies }),
    onConnection: accept,
  });
  listeners.push(listener);
  const socket = new WebSocket(`ws://127.0.0.1:${listener.address().port}/`, ["mqtt"], { headers });
  sockets.push(socket);
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return (await accepted).remoteAddress;
}

describe("X-Forwarded-For and Forwarded on WebSocket listeners", () => {
  it("report the client named by X-Forwarded-For when the peer is a trusted proxy", async () => {
    const remote = await remoteSeen(["127.0.0.1"], { "x-forwarded-for": "198.51.100.23, 127.0.0.1" });
    expect(remote).toEqual({ transport: "ws", host: "198.51.100.23", family: "IPv4" });
  });

  it("report the client and port of an RFC 7239 Forwarded header", async () => {
    const remote = await remoteSeen(["127.0.0.0/8"], { forwarded: 'for="[2001:db8::9]:6000";proto=https' });
    expect(remote).toEqual({ transport: "ws", host: "2001:db8::9", port: 6000, family: "IPv6" });
  });

  it("ignore the headers from a peer that is not a trusted proxy", async () => {
    const remote = await remoteSeen(["10.0.0.0/8"], { "x-forwarded-for": "198.51.100.23" });
    expect(remote.host).toBe("127.0.0.1");
  });

  it("ignore the headers when no proxy is trusted (the default)", async () => {
    const remote = await remoteSeen(undefined, { "x-forwarded-for": "198.51.100.23" });
    expect(remote.host).toBe("127.0.0.1");
    expect(remote.port).toBeGreaterThan(0);
  });
});
