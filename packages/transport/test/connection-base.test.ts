import { describe, expect, it } from "vitest";
import {
  type AddressInfo,
  ConnectionBase,
  type ConnectionOptions,
  DEFAULT_MAX_BUFFERED_BYTES,
  ListenerCore,
  NoConnectionHandlerError,
  onData,
  SlowConsumerError,
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
