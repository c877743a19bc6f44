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
  /** Packets from the client to the broker that the proxy forwarded, in order. */
  readonly up: SeenPacket[] = [];
  /** Packets from the client to the broker that the proxy did not forward. */
  readonly dropped: SeenPacket[] = [];
  /** Packets from the broker to the client that the proxy did not forward. */
  readonly droppedDown: SeenPacket[] = [];
  /** Return true to swallow a client-to-broker packet. */
  dropUp: (packet: SeenPacket) => boolean = () => false;
  /** Return true to swallow a broker-to-client packet (a lost PUBREC or PUBCOMP). */
  dropDown: (packet: SeenPacket) => boolean = () => false;
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
        else {
          this.up.push(p);
          upstream.write(p.bytes);
        }
      }
    });
    upstream.on("data", (chunk: Buffer) => {
      for (const p of down.push(chunk)) {
        this.down.push(p);
        if (this.dropDown(p)) this.droppedDown.push(p);
        else client.write(p.bytes);
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

/** PUBACK. */
export const isPuback = (p: SeenPacket): boolean => p.header >> 4 === 4;

/** PUBREC. */
export const isPubrec = (p: SeenPacket): boolean => p.header >> 4 === 5;

/** PUBCOMP. */
export const isPubcomp = (p: SeenPacket): boolean => p.header >> 4 === 7;

/** PUBREL (fixed header 0x62). */
export const isPubrel = (p: SeenPacket): boolean => p.header >> 4 === 6;

/** The packet identifier of a PUBREC, PUBREL or PUBCOMP (right after the fixed header). */
export function ackPacketId(p: SeenPacket): number {
  const offset = bodyOffset(p);
  return p.bytes.readUInt16BE(offset);
}

/** The fields of a QoS 1/2 PUBLISH as it passed the proxy (`level` 5 reads the properties' length). */
export function publishOf(
  p: SeenPacket,
  level: 4 | 5,
): { topic: string; packetId: number; dup: boolean; payload: string } | undefined {
  if (p.header >> 4 !== 3 || (p.header & 0x06) === 0) return undefined;
  let offset = bodyOffset(p);
  const topicLength = p.bytes.readUInt16BE(offset);
  const topic = p.bytes.subarray(offset + 2, offset + 2 + topicLength).toString("utf8");
  offset += 2 + topicLength;
  const packetId = p.bytes.readUInt16BE(offset);
  offset += 2;
  if (level === 5) {
    let length = 0;
    let multiplier = 1;
    for (;;) {
      const byte = p.bytes[offset++]!;
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if ((byte & 0x80) === 0) break;
    }
    offset += length;
  }
  return {
    topic,
    packetId,
    dup: (p.header & 0x08) !== 0,
    payload: p.bytes.subarray(offset).toString("utf8"),
  };
}

/** Where the variable header starts: after the type byte and the Remaining Length varint. */
function bodyOffset(p: SeenPacket): number {
  let offset = 1;
  while ((p.bytes[offset]! & 0x80) !== 0) offset++;
  return offset + 1;
}
