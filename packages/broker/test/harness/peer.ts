// The broker test harness: a scripted MQTT peer over @amqtt/transport-memory,
// connected through broker.handle() (no socket, no port). A test sends typed
// packets and awaits the broker's, in order; bytes the peer cannot decode fail the test.
import {
  Decoder,
  encode,
  type Packet,
  type PacketOf,
  PacketType,
  type ProtocolVersion,
  ReasonCode,
} from "@amqtt/codec";
import type { CloseInfo } from "@amqtt/transport";
import { type MemoryConnection, memoryPair } from "@amqtt/transport-memory";
import { afterEach } from "vitest";
import type { BrokerConfigInput } from "../../src/config/schema.js";
import { Broker, type BrokerOptions, silentLogger } from "../../src/index.js";
import { bounded } from "./wait.js";

/** A packet type by its lower-case name, as `peer.expect("connack")` takes it. */
export type PacketName = Lowercase<keyof typeof PacketType>;
type PacketNamed<N extends PacketName> = PacketOf<(typeof PacketType)[Uppercase<N>]>;

/** The bound on waiting for one packet: a guard against a hung test (generous: 2 shared cores), never a timing assertion. */
const DEFAULT_WAIT_MS = 10_000;

const peers: MqttPeer[] = [];
const brokers: Broker[] = [];

afterEach(async () => {
  const open = peers.splice(0);
  for (const peer of open) peer.connection.abort();
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
  // A peer that read bytes it could not decode fails the test even when no step awaited them.
  const failed = open.find((peer) => peer.decodeError !== undefined);
  if (failed !== undefined) throw failed.decodeError;
});

/** A broker with no listeners (peers reach it through `handle()`), stopped after the test. */
export async function startMemoryBroker(
  config: BrokerConfigInput = {},
  options: BrokerOptions = {},
): Promise<Broker> {
  const broker = new Broker(
    { listeners: {}, plugins: { "anonymous-auth": {} }, ...config },
    { logger: silentLogger, ...options },
  );
  await broker.start();
  brokers.push(broker);
  return broker;
}

/** Raised when the broker sent bytes that are not a valid MQTT packet for the peer's version. */
export class UndecodableBytesError extends Error {
  override name = "UndecodableBytesError";
}

/** Options of {@link MqttPeer.open}. */
export interface PeerOptions {
  /** 4 (3.1.1) or 5 (5.0); default 5. */
  version?: ProtocolVersion;
  /** The listener name the broker sees (default "memory"). */
  listener?: string;
}

/** One scripted MQTT peer of a broker; aborted after the test. */
export class MqttPeer {
  /** Every packet received so far, in order (read or not). */
  readonly received: Packet[] = [];
  /** The decode failure, once the broker sent bytes the peer could not decode. */
  decodeError: UndecodableBytesError | undefined;
  private readIndex = 0;
  private readonly decoder: Decoder;
  private readonly wakers: (() => void)[] = [];
  private ended = false;

  private constructor(
    readonly connection: MemoryConnection,
    readonly version: ProtocolVersion,
  ) {
    this.decoder = new Decoder({ protocolVersion: version, maxPacketSize: 256 * 1024 * 1024 });
    void this.pump();
  }

  /** Connect a new peer to `broker` through `broker.handle()` (no CONNECT sent yet). */
  static open(broker: Broker, options: PeerOptions = {}): MqttPeer {
    const [ours, brokers] = memoryPair();
    const peer = MqttPeer.attach(ours, options.version);
    void broker.handle(brokers, options.listener ?? "memory");
    return peer;
  }

  /** A peer on one end of a memory pair whose other end the caller drives (to test the harness itself). */
  static attach(connection: MemoryConnection, version: ProtocolVersion = 5): MqttPeer {
    const peer = new MqttPeer(connection, version);
    peers.push(peer);
    return peer;
  }

  /** Open, send CONNECT with `clientId` (and `connect` fields), and await a successful CONNACK. */
  static async connected(
    broker: Broker,
    clientId: string,
    connect: Partial<PacketOf<typeof PacketType.CONNECT>> = {},
    options: PeerOptions = {},
  ): Promise<{ peer: MqttPeer; connack: PacketOf<typeof PacketType.CONNACK> }> {
    const peer = MqttPeer.open(broker, options);
    peer.connect(clientId, connect);
    const connack = await peer.expect("connack");
    if (connack.reasonCode !== ReasonCode.SUCCESS)
      throw new Error(`CONNACK refused ${clientId}: reason ${connack.reasonCode}`);
    return { peer, connack };
  }

  /** Send CONNECT (clean start, keep-alive 0 unless `fields` say otherwise). */
  connect(clientId: string, fields: Partial<PacketOf<typeof PacketType.CONNECT>> = {}): void {
    this.send({
      type: PacketType.CONNECT,
      protocolVersion: this.version,
      clean: true,
      keepAlive: 0,
      clientId,
      ...fields,
    } as Packet);
  }

  /** Encode `packet` with @amqtt/codec for this peer's version and send it. */
  send(packet: Packet): void {
    this.connection.send(encode(packet, this.version));
  }

  /** Send raw bytes (well-formed or not). */
  write(bytes: Uint8Array | number[]): void {
    this.connection.send(Uint8Array.from(bytes));
  }

  /**
   * Drop the connection without DISCONNECT, as a network failure does: the broker
   * sees the connection reset (and publishes the will, when there is one).
   */
  drop(): void {
    this.connection.abort();
  }

  /**
   * End the session's connection normally: DISCONNECT (5.0: with `reasonCode`),
   * then close, and await the close. Packets still unread fail the step, as in
   * {@link MqttPeer.expectClosed}.
   */
  async disconnect(reasonCode: number = ReasonCode.NORMAL_DISCONNECTION): Promise<void> {
    this.send(
      this.version === 5 ? { type: PacketType.DISCONNECT, reasonCode } : { type: PacketType.DISCONNECT },
    );
    this.connection.close();
    await this.expectClosed();
  }

  /** Every PUBLISH received so far (read or not), in order. */
  publishes(): PacketOf<typeof PacketType.PUBLISH>[] {
    return this.received.filter(
      (p): p is PacketOf<typeof PacketType.PUBLISH> => p.type === PacketType.PUBLISH,
    );
  }

  /**
   * Await `holds()` becoming true, checked on every packet the broker sends (no
   * polling): for counting packets without reading them one by one. The
   * connection ending first, undecodable bytes or `waitMs` fail the step.
   */
  async until(holds: () => boolean, what: string, waitMs = DEFAULT_WAIT_MS): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      this.throwIfUndecodable();
      if (holds()) return;
      if (this.ended) throw new Error(`the connection closed before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`not ${what} within ${waitMs} ms`);
      await bounded(this.woken(), what, left).catch(() => undefined);
    }
  }

  /**
   * The next packet the broker sent, which must be a `name` packet: a packet of
   * another type, the connection closing, undecodable bytes or `waitMs` without
   * a packet fail the step.
   */
  async expect<N extends PacketName>(name: N, waitMs = DEFAULT_WAIT_MS): Promise<PacketNamed<N>> {
    const packet = await this.nextPacket(`a ${name.toUpperCase()}`, waitMs);
    const wanted = PacketType[name.toUpperCase() as keyof typeof PacketType];
    if (packet.type !== wanted) throw new Error(`expected ${name.toUpperCase()}, got ${describe(packet)}`);
    return packet as PacketNamed<N>;
  }

  /** Await the next packet, whatever its type. */
  next(waitMs = DEFAULT_WAIT_MS): Promise<Packet> {
    return this.nextPacket("a packet", waitMs);
  }

  /** Await the broker closing the connection; packets still unread fail it (the script missed them). */
  async expectClosed(waitMs = DEFAULT_WAIT_MS): Promise<CloseInfo> {
    const info = await bounded(this.connection.closed, "the connection to close", waitMs);
    await bounded(this.endedOfInput(), "the input to end", waitMs);
    this.throwIfUndecodable();
    const unread = this.received.slice(this.readIndex);
    if (unread.length > 0) throw new Error(`closed with unread packets: ${unread.map(describe).join(", ")}`);
    return info;
  }

  private async endedOfInput(): Promise<void> {
    while (!this.ended) await this.woken();
  }

  private async nextPacket(what: string, waitMs: number): Promise<Packet> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      this.throwIfUndecodable();
      const packet = this.received[this.readIndex];
      if (packet !== undefined) {
        this.readIndex++;
        return packet;
      }
      if (this.ended) throw new Error(`the connection closed before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${waitMs} ms`);
      await bounded(this.woken(), what, left).catch(() => undefined);
    }
  }

  private woken(): Promise<void> {
    return new Promise<void>((resolve) => this.wakers.push(resolve));
  }

  private throwIfUndecodable(): void {
    if (this.decodeError !== undefined) throw this.decodeError;
  }

  private async pump(): Promise<void> {
    try {
      for await (const chunk of this.connection) {
        this.decoder.push(chunk);
        for (let packet = this.decode(); packet !== undefined; packet = this.decode())
          this.received.push(packet);
        for (const wake of this.wakers.splice(0)) wake();
      }
    } finally {
      this.ended = true;
      for (const wake of this.wakers.splice(0)) wake();
    }
  }

  private decode(): Packet | undefined {
    if (this.decodeError !== undefined) return undefined;
    try {
      return this.decoder.next();
    } catch (error) {
      this.decodeError = new UndecodableBytesError("the broker sent bytes the peer cannot decode", {
        cause: error,
      });
      return undefined;
    }
  }
}

/** A short description of a packet for failure messages. */
export function describe(packet: Packet): string {
  const name =
    Object.entries(PacketType).find(([, value]) => value === packet.type)?.[0] ?? `type ${packet.type}`;
  return "reasonCode" in packet && packet.reasonCode !== undefined
    ? `${name}(reason ${packet.reasonCode})`
    : name;
}
