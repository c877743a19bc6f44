import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import {
  type AddressInfo,
  ConnectionBase,
  type ConnectionOptions,
  DEFAULT_MAX_BUFFERED_BYTES,
  ListenerBase,
  ListenerCore,
  listenOn,
  NoConnectionHandlerError,
  onData,
  SlowConsumerError,
  serverAddress,
  TransportError,
  waitForDrain,
} from "../src/index.js";

/** A carrier that records what the core asks of it; the test plays the network. */
class ScriptedConnection extends ConnectionBase {
  readonly localAddress: AddressInfo = { transport: "test" };
  readonly remoteAddress: AddressInfo = { transport: "test" };
  readonly calls: string[] = [];
  buffered = 0;
  constructor(options?: ConnectionOptions) {
    super(options);
  }
  protected override get carrierBufferedBytes(): number {
    return this.buffered;
  }
  protected override write(bytes: Uint8Array): boolean {
    this.buffered += bytes.length;
    return this.buffered < this.writeHighWaterMark;
  }
  protected override pauseCarrier(): void {
    this.calls.push("pause");
  }
  protected override resumeCarrier(): void {
    this.calls.push("resume");
  }
  protected override endCarrier(): void {
    this.calls.push("end");
    this.carrierClosed();
  }
  protected override destroyCarrier(): void {
    this.calls.push("destroy");
    this.carrierClosed();
  }
  receive(chunk: Uint8Array): void {
    this.carrierReceived(chunk);
  }
  flushed(): void {
    this.buffered = 0;
    this.carrierDrained();
  }
  remoteClosed(error?: Error): void {
    this.carrierEnding();
    this.carrierClosed(error);
  }
}

describe("ConnectionBase", () => {
  it("uses 8 MiB as the default maxBufferedBytes", () => {
    expect(new ScriptedConnection().maxBufferedBytes).toBe(DEFAULT_MAX_BUFFERED_BYTES);
    expect(DEFAULT_MAX_BUFFERED_BYTES).toBe(8 * 1024 * 1024);
  });

  it("rejects a bound that is not a positive number", () => {
    expect(() => new ScriptedConnection({ maxBufferedBytes: 0 })).toThrow(RangeError);
    expect(() => new ScriptedConnection({ readHighWaterMark: Number.NaN })).toThrow(RangeError);
  });

  it("pauses the carrier at readHighWaterMark and resumes it once the reader consumes below it", async () => {
    const connection = new ScriptedConnection({ readHighWaterMark: 4 });
    const reader = connection[Symbol.asyncIterator]();
    connection.receive(new Uint8Array(3));
    expect(connection.calls).toEqual([]);
    connection.receive(new Uint8Array(2));
    expect(connection.calls).toEqual(["pause"]);
    expect(connection.readBufferedBytes).toBe(5);
    await reader.next();
    expect(connection.calls).toEqual(["pause", "resume"]);
    expect(connection.readBufferedBytes).toBe(2);
  });

  it("hands a chunk straight to a waiting reader without buffering it", async () => {
    const connection = new ScriptedConnection();
    const next = connection[Symbol.asyncIterator]().next();
    connection.receive(new Uint8Array([7]));
    expect(connection.readBufferedBytes).toBe(0);
    expect(await next).toEqual({ done: false, value: new Uint8Array([7]) });
  });

  it("aborts with a read SlowConsumerError when unread bytes exceed maxBufferedBytes", async () => {
    const connection = new ScriptedConnection({ maxBufferedBytes: 8, readHighWaterMark: 100 });
    connection.receive(new Uint8Array(8));
    expect(connection.isClosed).toBe(false);
    connection.receive(new Uint8Array(1));
    const info = await connection.closed;
    expect(info.error).toEqual(new SlowConsumerError("read", 9, 8));
    expect(connection.calls).toEqual(["destroy"]);
  });

  it("notifies drain listeners only after a send returned false", () => {
    const connection = new ScriptedConnection({ writeHighWaterMark: 4 });
    let drains = 0;
    connection.onDrain(() => drains++);
    expect(connection.send(new Uint8Array(3))).toBe(true);
    connection.flushed();
    expect(drains).toBe(0);
    expect(connection.send(new Uint8Array(4))).toBe(false);
    connection.flushed();
    connection.flushed();
    expect(drains).toBe(1);
  });

  it("lets a removed drain listener go", () => {
    const connection = new ScriptedConnection({ writeHighWaterMark: 1 });
    let drains = 0;
    const off = connection.onDrain(() => drains++);
    off();
    connection.send(new Uint8Array(1));
    connection.flushed();
    expect(drains).toBe(0);
  });

  it("delivers data queued before a remote close, then ends the input", async () => {
    const connection = new ScriptedConnection();
    connection.receive(new Uint8Array([1]));
    connection.remoteClosed();
    const chunks: number[][] = [];
    for await (const chunk of connection) chunks.push([...chunk]);
    expect(chunks).toEqual([[1]]);
    expect(await connection.closed).toEqual({ initiator: "remote", error: undefined });
  });

  it("allows a single reader", () => {
    const connection = new ScriptedConnection();
    connection[Symbol.asyncIterator]();
    expect(() => connection[Symbol.asyncIterator]()).toThrow(TransportError);
  });
});

describe("waitForDrain", () => {
  it("resolves when the connection closes instead of draining", async () => {
    const connection = new ScriptedConnection({ writeHighWaterMark: 1 });
    connection.send(new Uint8Array(1));
    const waiting = waitForDrain(connection);
    connection.abort();
    await waiting;
    expect(connection.isClosed).toBe(true);
  });
});

describe("onData", () => {
  it("waits for the handler's promise before taking the next chunk", async () => {
    const connection = new ScriptedConnection();
    const seen: number[] = [];
    let release!: () => void;
    const done = onData(connection, (chunk) => {
      seen.push(chunk[0]!);
      if (chunk[0] === 1) return new Promise<void>((resolve) => (release = resolve));
    });
    connection.receive(new Uint8Array([1]));
    connection.receive(new Uint8Array([2]));
    await Promise.resolve();
    expect(seen).toEqual([1]);
    release();
    connection.remoteClosed();
    await done;
    expect(seen).toEqual([1, 2]);
  });

  it("aborts the connection with the handler's error", async () => {
    const connection = new ScriptedConnection();
    const failure = new Error("bad packet");
    const done = onData(connection, () => {
      throw failure;
    });
    connection.receive(new Uint8Array([1]));
    await done;
    expect(await connection.closed).toEqual({ initiator: "local", error: failure });
  });
});

describe("ListenerCore", () => {
  it("aborts an accepted connection when no handler is set", async () => {
    const core = new ListenerCore();
    const connection = new ScriptedConnection();
    core.accept(connection);
    expect((await connection.closed).error).toBeInstanceOf(NoConnectionHandlerError);
  });

  it("counts open connections against maxConnections and forgets closed ones", async () => {
    const core = new ListenerCore({ maxConnections: 1, onConnection: () => {} });
    const connection = new ScriptedConnection();
    core.accept(connection);
    expect(core.isFull).toBe(true);
    connection.close();
    await connection.closed;
    expect(core.connectionCount).toBe(0);
    expect(core.isFull).toBe(false);
  });
});

/** A listener whose stopAccepting is counted and resolved by the test. */
class CountingListener extends ListenerBase {
  stops = 0;
  release: () => void = () => {};
  constructor(core: ListenerCore) {
    super(core);
  }
  address(): AddressInfo {
    return { transport: "test" };
  }
  protected stopAccepting(): Promise<void> {
    this.stops++;
    return new Promise<void>((resolve) => {
      this.release = resolve;
    });
  }
}

describe("ListenerBase", () => {
  it("reads the bound and the count from its core and hands accepted connections to the handler set", async () => {
    const core = new ListenerCore({ maxConnections: 2 });
    const listener = new CountingListener(core);
    const seen: unknown[] = [];
    listener.onConnection((c) => seen.push(c));
    const connection = new ScriptedConnection();
    core.accept(connection);
    expect([listener.maxConnections, listener.connectionCount, seen]).toEqual([2, 1, [connection]]);
  });

  it("stops accepting once and closes every accepted connection; close() again is the same promise", async () => {
    const core = new ListenerCore({ onConnection: () => {} });
    const listener = new CountingListener(core);
    const connection = new ScriptedConnection();
    core.accept(connection);
    const closing = listener.close();
    expect(listener.close()).toBe(closing);
    expect(listener.stops).toBe(1);
    expect(core.isFull).toBe(true);
    await connection.closed;
    let done = false;
    void closing.then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false); // still waiting for stopAccepting
    listener.release();
    await closing;
    expect(listener.connectionCount).toBe(0);
  });
});

describe("listenOn / serverAddress", () => {
  it("listen on a free loopback port and report the bound host, port and family", async () => {
    const server = createServer();
    await listenOn(server, { host: "127.0.0.1", port: 0 });
    try {
      const address = serverAddress(server, "tcp");
      expect(address).toMatchObject({ transport: "tcp", host: "127.0.0.1", family: "IPv4" });
      expect(address.port).toBeGreaterThan(0);
      expect(serverAddress(server, "ws", "/mqtt").path).toBe("/mqtt");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("rejects with the server's error when the port is taken", async () => {
    const first = createServer();
    await listenOn(first, { host: "127.0.0.1", port: 0 });
    const second = createServer();
    try {
      const port = serverAddress(first, "tcp").port!;
      await expect(listenOn(second, { host: "127.0.0.1", port })).rejects.toMatchObject({
        code: "EADDRINUSE",
      });
    } finally {
      await new Promise((resolve) => first.close(resolve));
    }
  });

  it("reports an unbound server without host or port", () => {
    expect(serverAddress(createServer(), "tcp")).toEqual({ transport: "tcp", path: undefined });
  });
});
