import { createConnection, createServer, type Server, type Socket } from "node:net";

/** One MQTT control packet as it passed the proxy: its first byte and whole bytes. */
export interface SeenPacket {
  /** The fixed header's first byte (type << 4 | flags). */
  readonly header: number;
  readonly bytes: Buffer;
}

/** Splits a byte stream into MQTT packets by their fixed header (type byte, Remaining Length varint). */
class PacketSplitter {
  private pending = Buffer.alloc(0);

  push(chunk: Buffer): SeenPacket[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const out: SeenPacket[] = [];
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let offset = 1;
      let complete = false;
      while (offset < this.pending.length && offset <= 4) {
        const byte = this.pending[offset++]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || this.pending.length < offset + length) return out;
      out.push({ header: this.pending[0]!, bytes: this.pending.subarray(0, offset + length) });
      this.pending = this.pending.subarray(offset + length);
    }
  }
}

/**
 * A TCP proxy on loopback between an MQTT client (our bridge) and a broker
 * (mosquitto), packet-aware in both directions: `dropUp(header)` decides
 * which client-to-broker packets never reach the broker (a lost PUBREC), and
 * every packet each way is recorded for the test's assertions.
 */
export class MqttProxy {
  /** Packets from the broker to the client, in order. */
  readonly down: SeenPacket[] = [];
  /** Packets from the client to the broker that the proxy did not forward. */
  readonly dropped: SeenPacket[] = [];
  /** Return true to swallow a client-to-broker packet. */
  dropUp: (packet: SeenPacket) => boolean = () => false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listen on a free loopback port, forwarding to `127.0.0.1:targetPort`. */
  static async start(targetPort: number): Promise<MqttProxy> {
    let proxy: MqttProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("the proxy has no port");
    proxy = new MqttProxy(server, address.port);
    return proxy;
  }

  /** Cut every connection now (both sides see a reset). */
  cutAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Stop listening and cut every connection. */
  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, targetPort: number): void {
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const up = new PacketSplitter();
    const down = new PacketSplitter();
    client.on("data", (chunk: Buffer) => {
      for (const p of up.push(chunk)) {
        if (this.dropUp(p)) this.dropped.push(p);
        else upstream.write(p.bytes);
      }
    });
    upstream.on("data", (chunk: Buffer) => {
      for (const p of down.push(chunk)) {
        this.down.push(p);
        client.write(p.bytes);
      }
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", close);
    upstream.on("error", close);
  }
}

/** PUBLISH at QoS 2 with DUP set (fixed header 0x3_ with DUP 0x08 and QoS bits 0x04). */
export const isDupQos2Publish = (p: SeenPacket): boolean =>
  p.header >> 4 === 3 && (p.header & 0x06) === 0x04 && (p.header & 0x08) !== 0;

/** PUBREC. */
export const isPubrec = (p: SeenPacket): boolean => p.header >> 4 === 5;
