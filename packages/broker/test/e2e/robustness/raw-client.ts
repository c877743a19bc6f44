import { connect as netConnect, type Socket } from "node:net";
import { Decoder, encode, type Packet, PacketType, type ProtocolVersion } from "@amqtt/codec";
import type { MqttClient } from "mqtt";
import { afterEach } from "vitest";
import { mqttClient, nextMessages } from "../tcp.js";

const sockets: Socket[] = [];
const rawClients: RawClient[] = [];

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  // Bytes from the broker that do not decode are a broker bug: fail the test even if no step awaited them.
  const failed = rawClients.splice(0).find((c) => c.decodeError !== undefined);
  if (failed !== undefined) throw failed.decodeError;
});

/**
 * A raw TCP peer that can send any bytes, well-formed or not. It decodes what
 * the broker sends back (strict: bytes it cannot decode fail the awaiting step
 * and the test) and records when the broker closed the connection. Destroyed after the test.
 */
export class RawClient {
  readonly packets: Packet[] = [];
  /** Resolves when the socket is closed (by either side). */
  readonly closed: Promise<void>;
  /** Set once the broker sent bytes this client cannot decode. */
  decodeError: Error | undefined;
  private readonly decoder: Decoder;
  private waiters: (() => void)[] = [];

  private constructor(
    readonly socket: Socket,
    version: ProtocolVersion,
  ) {
    this.decoder = new Decoder({ protocolVersion: version, maxPacketSize: 256 * 1024 * 1024 });
    rawClients.push(this);
    socket.on("data", (chunk) => {
      if (this.decodeError !== undefined) return;
      this.decoder.push(chunk);
      for (;;) {
        let p: Packet | undefined;
        try {
          p = this.decoder.next();
        } catch (error) {
          this.decodeError ??= new Error("the broker sent bytes the raw client cannot decode", {
            cause: error,
          });
          break;
        }
        if (p === undefined) break;
        this.packets.push(p);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on("error", () => {});
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    this.closed.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Open a raw TCP connection to the broker on loopback. */
  static open(port: number, version: ProtocolVersion = 4): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: "127.0.0.1", port });
      sockets.push(socket);
      socket.once("connect", () => resolve(new RawClient(socket, version)));
      socket.once("error", reject);
    });
  }

  /** Open, send CONNECT, and wait for a CONNACK 0. */
  static async connected(
    port: number,
    version: ProtocolVersion,
    clientId: string,
    clean = true,
  ): Promise<RawClient> {
    const raw = await RawClient.open(port, version);
    raw.send({ type: PacketType.CONNECT, protocolVersion: version, clean, keepAlive: 0, clientId }, version);
    const connack = await raw.next(PacketType.CONNACK);
    if (connack.reasonCode !== 0) throw new Error(`CONNACK ${connack.reasonCode}`);
    return raw;
  }

  /** Encode and send a packet. */
  send(packet: Packet, version: ProtocolVersion): void {
    this.socket.write(encode(packet, version));
  }

  /** Send raw bytes. */
  write(bytes: Uint8Array | number[]): void {
    this.socket.write(Uint8Array.from(bytes));
  }

  /** Wait for the first received packet of `type` (fails if the connection closes first). */
  async next<T extends Packet["type"]>(type: T, timeoutMs = 5000): Promise<Extract<Packet, { type: T }>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (this.decodeError !== undefined) throw this.decodeError;
      const found = this.packets.find((p) => p.type === type);
      if (found !== undefined) return found as Extract<Packet, { type: T }>;
      if (this.socket.destroyed) throw new Error(`closed before packet type ${type}`);
      if (Date.now() > end) throw new Error(`no packet type ${type} in time`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Wait until the broker closed the connection; fails after `timeoutMs`. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the broker did not close the connection")), timeoutMs);
    });
    try {
      await Promise.race([this.closed, timeout]);
      if (this.decodeError !== undefined) throw this.decodeError;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A well-behaved MQTT.js pair on the same broker: a subscriber and a publisher
 * on `topic`. `roundTrip(n)` publishes QoS 1 and checks the subscriber got it,
 * proving the broker still serves other clients.
 */
export async function bystanders(
  url: string,
  topic = "bystander/t",
): Promise<{ pub: MqttClient; sub: MqttClient; roundTrip: (tag: string) => Promise<void> }> {
  const sub = await mqttClient(url, { clientId: `sub-${topic}` });
  await sub.subscribeAsync(topic, { qos: 1 });
  const pub = await mqttClient(url, { clientId: `pub-${topic}` });
  const roundTrip = async (tag: string): Promise<void> => {
    const got = nextMessages(sub, 1);
    await pub.publishAsync(topic, tag, { qos: 1 });
    const [[t, payload]] = (await got) as [[string, string, unknown]];
    if (t !== topic || payload !== tag) throw new Error(`bystander got ${t} ${payload}, not ${tag}`);
  };
  await roundTrip("before");
  return { pub, sub, roundTrip };
}

/** A fixed header: byte `first`, then `remaining` as a Variable Byte Integer (nothing of the body). */
export function fixedHeader(first: number, remaining: number): number[] {
  const bytes = [first];
  let n = remaining;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return bytes;
}
