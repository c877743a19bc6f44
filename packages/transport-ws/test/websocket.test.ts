import { createServer, type Server } from "node:http";
import { ConnectionRefusedError } from "@amqtt/transport";
import { describeTransportCompliance, Reader } from "@amqtt/transport/compliance";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { dialWs, NonBinaryFrameError, type WebSocketEventLike, type WebSocketLike } from "../src/index.js";
import { listenWs } from "../src/server.js";
import { rawClient, startListener, tracked } from "./helpers.js";

describe("WebSocket subprotocols", () => {
  it("refuses a handshake that does not offer mqtt with HTTP 400 [MQTT-6.0.0-3]", async () => {
    const { url, listener } = await startListener();
    await expect(rawClient(url, ["chat"])).rejects.toThrow("HTTP 400");
    await expect(rawClient(url, [])).rejects.toThrow("HTTP 400");
    expect(listener.connectionCount).toBe(0);
  });

  it("makes our dialer fail with ConnectionRefusedError when it offers no MQTT subprotocol", async () => {
    const { url } = await startListener();
    await expect(dialWs(url, { protocols: ["chat"] })).rejects.toBeInstanceOf(ConnectionRefusedError);
  });

  it("selects mqtt whenever the client offers it [MQTT-6.0.0-4]", async () => {
    const { url } = await startListener();
    expect((await rawClient(url, ["chat", "mqtt"])).protocol).toBe("mqtt");
    expect((await rawClient(url, ["mqttv3.1", "mqtt"])).protocol).toBe("mqtt");
  });

  it("accepts mqttv3.1 from MQTT 3.1 clients that offer only that", async () => {
    const { url, next } = await startListener();
    const accepted = next();
    expect((await rawClient(url, ["mqttv3.1"])).protocol).toBe("mqttv3.1");
    expect((await accepted).localAddress.transport).toBe("ws");
  });
});

describe("WebSocket frames", () => {
  it("closes the connection with status 1003 when a text frame arrives [MQTT-6.0.0-1]", async () => {
    const { url, next } = await startListener();
    const accepted = next();
    const client = await rawClient(url, ["mqtt"]);
    const server = await accepted;
    const closeCode = new Promise<number>((resolve) => client.once("close", resolve));
    client.send("not binary");
    expect(await closeCode).toBe(1003);
    const info = await server.closed;
    expect(info.initiator).toBe("local");
    expect(info.error).toBeInstanceOf(NonBinaryFrameError);
  });

  it("sends only binary frames", async () => {
    const { url, next } = await startListener();
    const accepted = next();
    const client = await rawClient(url, ["mqtt"]);
    const message = new Promise<[Buffer, boolean]>((resolve) =>
      client.once("message", (data: Buffer, isBinary: boolean) => resolve([data, isBinary])),
    );
    (await accepted).send(new Uint8Array([0xd0, 0x00]));
    const [data, isBinary] = await message;
    expect(isBinary).toBe(true);
    expect([...data]).toEqual([0xd0, 0x00]);
  });

  it("passes bytes on regardless of frame boundaries: split and joined packets arrive as one stream [MQTT-6.0.0-2]", async () => {
    const { url, next } = await startListener();
    const accepted = next();
    const client = await rawClient(url, ["mqtt"]);
    const server = await accepted;
    // A PINGREQ split over two frames, then two PINGREQs in one frame.
    client.send(Buffer.from([0xc0]));
    client.send(Buffer.from([0x00]));
    client.send(Buffer.from([0xc0, 0x00, 0xc0, 0x00]));
    expect([...(await new Reader(server).read(6))]).toEqual([0xc0, 0x00, 0xc0, 0x00, 0xc0, 0x00]);
  });

  it("refuses a frame larger than maxBufferedBytes with status 1009", async () => {
    const { url, next } = await startListener({ connection: { maxBufferedBytes: 1024 } });
    const accepted = next();
    const client = await rawClient(url, ["mqtt"]);
    const server = await accepted;
    const closeCode = new Promise<number>((resolve) => client.once("close", resolve));
    client.send(Buffer.alloc(1025));
    expect(await closeCode).toBe(1009);
    expect((await server.closed).error).toBeInstanceOf(Error);
  });
});

describe("a listener mounted on an http.Server", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function appServer(): Promise<{ server: Server; base: string }> {
    const server = createServer((_request, response) => response.end("app"));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    return { server, base: `127.0.0.1:${address.port}` };
  }

  it("upgrades only its path, answers 404 for other paths and leaves ordinary requests to the app", async () => {
    const { server, base } = await appServer();
    const listener = await listenWs({ server, path: "/mqtt", onConnection: tracked });
    await expect(rawClient(`ws://${base}/other`, ["mqtt"])).rejects.toThrow("HTTP 404");
    expect((await rawClient(`ws://${base}/mqtt`, ["mqtt"])).protocol).toBe("mqtt");
    expect(await (await fetch(`http://${base}/page`)).text()).toBe("app");
    await listener.close();
  });

  it("leaves the server running when the listener closes", async () => {
    const { server, base } = await appServer();
    const listener = await listenWs({ server, onConnection: tracked });
    await listener.close();
    expect(server.listening).toBe(true);
    expect(await (await fetch(`http://${base}/`)).text()).toBe("app");
    expect(server.listenerCount("upgrade")).toBe(0);
  });
});

describe("the listener on its own port", () => {
  it("answers plain HTTP requests with 426 Upgrade Required", async () => {
    const { listener } = await startListener();
    const response = await fetch(`http://127.0.0.1:${listener.address().port}/`);
    expect(response.status).toBe(426);
  });
});

/**
 * A WebSocket with only the W3C surface, like a browser's: no pause, no
 * terminate, no write callback. Built on `ws` so it runs in Node 20.
 */
class BrowserLikeWebSocket implements WebSocketLike {
  readonly #socket: WebSocket;
  constructor(url: string, protocols?: string | string[]) {
    this.#socket = new WebSocket(url, protocols);
  }
  get readyState(): number {
    return this.#socket.readyState;
  }
  get protocol(): string {
    return this.#socket.protocol;
  }
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }
  get binaryType(): string {
    return this.#socket.binaryType;
  }
  set binaryType(type: string) {
    this.#socket.binaryType = type as "arraybuffer";
  }
  send(data: Uint8Array): void {
    this.#socket.send(data);
  }
  close(code?: number, reason?: string): void {
    this.#socket.close(code, reason);
  }
  addEventListener(type: string, listener: (event: WebSocketEventLike) => void): void {
    this.#socket.addEventListener(type as "message", listener as () => void);
  }
}

describeTransportCompliance("ws with a browser-like WebSocket dialer", {
  async listen(options) {
    const listener = await listenWs({ ...options, host: "127.0.0.1", port: 0 });
    const { port } = listener.address();
    return {
      listener,
      dial: (connection) =>
        dialWs(`ws://127.0.0.1:${port}/`, { ...connection, WebSocket: BrowserLikeWebSocket }),
    };
  },
});
