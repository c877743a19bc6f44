import { type ChildProcess, spawn } from "node:child_process";
import { connect as netConnect, type Socket } from "node:net";
import {
  type ConnackPacket,
  Decoder,
  type DisconnectPacket,
  encode,
  type Packet,
  PacketType,
  type PublishPacket,
  type SubscribeProperties,
  type Subscription,
} from "@amqtt/codec";
import {
  type AckedAction,
  ClientSession,
  type ClientSessionOptions,
  type ConnectedAction,
  type ConnectOptions,
  type DisconnectedAction,
  type MessageAction,
  type PublishMessage,
  type SessionAction,
  type SubscribedAction,
  type UnsubscribedAction,
} from "@amqtt/session";
import { connect, type IClientOptions, type MqttClient } from "mqtt";
import { afterEach } from "vitest";
import type { Broker } from "../../src/index.js";
import { until } from "./tcp.js";

export { collectFor, mqttClient, nextMessages, startBroker, until } from "./tcp.js";

// Everything a test opens here is closed after it: sockets, child processes, MQTT.js clients.
const sockets = new Set<Socket>();
const children = new Set<ChildProcess>();
const mqttClients = new Set<MqttClient>();
const timers = new Set<NodeJS.Timeout>();

afterEach(async () => {
  for (const t of timers) clearTimeout(t);
  timers.clear();
  for (const s of sockets) s.destroy();
  sockets.clear();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  children.clear();
  await Promise.all([...mqttClients].map((c) => c.endAsync(true).catch(() => {})));
  mqttClients.clear();
});

const text = new TextEncoder();
/** UTF-8 bytes of a string. */
export const bytes = (s: string): Uint8Array => text.encode(s);
/** A byte array as a string. */
export const str = (b: Uint8Array | undefined): string => new TextDecoder().decode(b ?? new Uint8Array());

/** A promise that fails after `ms` with `what` (a bound on waiting, never a timing assertion). */
function deadline<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    timers.add(t);
    promise.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/**
 * Our own 5.0 client: `@amqtt/session`'s client machine on a TCP socket. Keeps
 * every action of the machine and, decoded separately, every packet the broker
 * sent (to look at the wire: topic aliases, properties, reason codes).
 */
export class OursClient {
  readonly session: ClientSession;
  readonly socket: Socket;
  /** Every action the machine returned, in order. */
  readonly events: SessionAction[] = [];
  /** Every packet received from the broker, as decoded on the wire. */
  readonly packets: Packet[] = [];
  private readonly decoder: Decoder;
  private readonly machineTimers = new Map<string, NodeJS.Timeout>();

  constructor(port: number, options: ClientSessionOptions = {}) {
    this.session = new ClientSession({ protocolVersion: 5, ...options });
    this.decoder = new Decoder({ protocolVersion: 5 });
    this.socket = netConnect(port, "127.0.0.1");
    sockets.add(this.socket);
    this.socket.on("data", (chunk: Buffer) => {
      for (const p of this.decoder.decodeAll(chunk)) this.packets.push(p);
      this.run(this.session.received(chunk, Date.now()));
    });
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      if (this.session.state !== "closed") this.run(this.session.closed(Date.now()));
    });
  }

  /** Carry out the machine's actions: write bytes, arm timers, close. */
  run(actions: SessionAction[]): SessionAction[] {
    for (const a of actions) {
      this.events.push(a);
      if (a.kind === "send") this.socket.write(a.bytes);
      else if (a.kind === "close") this.socket.end();
      else if (a.kind === "setTimer") {
        clearTimeout(this.machineTimers.get(a.timer));
        const t = setTimeout(() => this.run(this.session.timerFired(a.timer, Date.now())), a.ms);
        timers.add(t);
        this.machineTimers.set(a.timer, t);
      } else if (a.kind === "clearTimer") clearTimeout(this.machineTimers.get(a.timer));
    }
    return actions;
  }

  /** Resolve with the first action matching `pick` (already seen or coming). */
  waitFor<T extends SessionAction>(pick: (a: SessionAction) => a is T, what: string, from = 0): Promise<T> {
    return deadline(
      (async () => {
        await until(() => this.events.slice(from).some(pick), 5000);
        return this.events.slice(from).find(pick) as T;
      })(),
      what,
    );
  }

  /** Connect and resolve with the `connected` action, or reject with the refusal's `disconnected`. */
  async connect(options: ConnectOptions = { clientId: "" }): Promise<ConnectedAction> {
    await new Promise<void>((r) => (this.socket.connecting ? this.socket.once("connect", () => r()) : r()));
    this.run(this.session.connect({ keepAlive: 0, ...options }, Date.now()));
    const done = await this.waitFor(
      (a): a is ConnectedAction | DisconnectedAction => a.kind === "connected" || a.kind === "disconnected",
      "CONNACK",
    );
    if (done.kind === "disconnected") throw Object.assign(new Error("refused"), { action: done });
    return done;
  }

  /** Subscribe and resolve with the SUBACK's `subscribed` action. */
  subscribe(subscriptions: Subscription[], properties?: SubscribeProperties) {
    const from = this.events.length;
    this.run(this.session.subscribe(subscriptions, Date.now(), properties));
    return this.waitFor((a): a is SubscribedAction => a.kind === "subscribed", "SUBACK", from);
  }

  /** Unsubscribe and resolve with the UNSUBACK's `unsubscribed` action. */
  unsubscribe(filters: string[]) {
    const from = this.events.length;
    this.run(this.session.unsubscribe(filters, Date.now()));
    return this.waitFor((a): a is UnsubscribedAction => a.kind === "unsubscribed", "UNSUBACK", from);
  }

  /** Publish; for QoS 1/2 resolve once the flow is acknowledged. */
  async publish(message: Omit<PublishMessage, "payload"> & { payload: string | Uint8Array }) {
    const payload = typeof message.payload === "string" ? bytes(message.payload) : message.payload;
    const from = this.events.length;
    this.run(this.session.publish({ ...message, payload }, Date.now()));
    if (message.qos === 0) return undefined;
    return this.waitFor((a): a is AckedAction => a.kind === "acked", "PUBACK/PUBCOMP", from);
  }

  /** Messages delivered so far. */
  messages(): MessageAction[] {
    return this.events.filter((a): a is MessageAction => a.kind === "message");
  }

  /** Wait until `count` messages have arrived; resolves with them. */
  async nextMessages(count: number): Promise<MessageAction[]> {
    await deadline(
      until(() => this.messages().length >= count),
      `${count} messages`,
    );
    return this.messages().slice(0, count);
  }

  /** PUBLISH packets as received on the wire. */
  publishes(): PublishPacket[] {
    return this.packets.filter((p): p is PublishPacket => p.type === PacketType.PUBLISH);
  }

  /** Resolve with the end of the connection (DISCONNECT, refusal or transport close). */
  ended(): Promise<DisconnectedAction> {
    return this.waitFor(
      (a): a is DisconnectedAction => a.kind === "disconnected",
      "the end of the connection",
    );
  }
}

/** Our 5.0 client, connected. */
export async function ours(
  port: number,
  connectOptions: ConnectOptions = { clientId: "" },
  options: ClientSessionOptions = {},
): Promise<OursClient> {
  const c = new OursClient(port, options);
  await c.connect(connectOptions);
  return c;
}

/**
 * A raw 5.0 connection with no session rules: sends any packet (including ones
 * that break the protocol, to test how the broker answers), keeps every packet
 * the broker sent, and knows when the broker closed the connection.
 */
/** A packet for {@link raw}: PUBLISH may leave out `dup` and `retain` (false). */
export type LoosePacket =
  | Packet
  | (Omit<PublishPacket, "dup" | "retain"> & { dup?: boolean; retain?: boolean });

const complete = (p: LoosePacket): Packet =>
  p.type === PacketType.PUBLISH ? { dup: false, retain: false, ...p } : (p as Packet);

export async function raw(port: number, connectPacket: Packet) {
  const socket = netConnect(port, "127.0.0.1");
  sockets.add(socket);
  const decoder = new Decoder({ protocolVersion: 5 });
  const packets: Packet[] = [];
  let closed = false;
  socket.on("data", (chunk) => {
    for (const p of decoder.decodeAll(chunk)) packets.push(p);
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    closed = true;
  });
  await new Promise<void>((r) => socket.once("connect", () => r()));
  socket.write(encode(connectPacket, 5));
  await until(() => closed || packets.some((p) => p.type === PacketType.CONNACK));
  const find = <T extends Packet>(type: T["type"]) => packets.find((p): p is T => p.type === type);
  return {
    packets,
    socket,
    connack: find<ConnackPacket>(PacketType.CONNACK),
    send: (p: LoosePacket) => socket.write(encode(complete(p), 5)),
    /** Write bytes as they are (for packets the encoder refuses to build). */
    write: (b: Uint8Array) => socket.write(b),
    publishes: () => packets.filter((p): p is PublishPacket => p.type === PacketType.PUBLISH),
    isClosed: () => closed,
    /** Wait for the broker to close the connection; resolves with its DISCONNECT, if it sent one. */
    async closedBy(): Promise<DisconnectPacket | undefined> {
      await deadline(
        until(() => closed),
        "the broker to close the connection",
      );
      return find<DisconnectPacket>(PacketType.DISCONNECT);
    },
    /** Wait for a packet of `type` (after the `from`-th packet). */
    async next<T extends Packet>(type: T["type"], from = 0): Promise<T> {
      await deadline(
        until(() => packets.slice(from).some((p) => p.type === type)),
        `packet type ${type}`,
      );
      return packets.slice(from).find((p): p is T => p.type === type) as T;
    },
  };
}

/** A 5.0 CONNECT packet for {@link raw}. */
export const connect5 = (clientId: string, properties: Record<string, unknown> = {}, extra = {}) => ({
  type: PacketType.CONNECT,
  protocolVersion: 5 as const,
  clean: true,
  keepAlive: 0,
  clientId,
  properties,
  ...extra,
});

/** An MQTT.js 5.0 client and its CONNACK, closed after the test. Rejects with the refusal. */
export async function mqtt5(
  url: string,
  options: IClientOptions = {},
): Promise<{ client: MqttClient; connack: ConnackPacketLike }> {
  const client = connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...options });
  mqttClients.add(client);
  const connack = await deadline(
    new Promise<ConnackPacketLike>((resolve, reject) => {
      client.once("connect", (p) => resolve(p as unknown as ConnackPacketLike));
      client.once("error", reject);
    }),
    "MQTT.js CONNACK",
  );
  return { client, connack };
}

/** The CONNACK as MQTT.js gives it. */
export interface ConnackPacketLike {
  sessionPresent: boolean;
  reasonCode?: number;
  properties?: Record<string, unknown>;
}

/** Base arguments for Debian's mosquitto clients, speaking 5.0 to our broker. */
export const mosquittoArgs = (port: number): string[] => [
  "-h",
  "127.0.0.1",
  "-p",
  String(port),
  "-V",
  "mqttv5",
];

/**
 * Run `mosquitto_sub` (killed after the test) until it printed `count` lines.
 * `ready` resolves when the broker granted its subscriptions (it prints nothing then).
 */
export function mosquittoSub(
  broker: Broker,
  port: number,
  clientId: string,
  args: string[],
  count: number,
): { lines: Promise<string[]>; ready: Promise<void>; child: ChildProcess } {
  const ready = new Promise<void>((resolve) => {
    const on = (client: { clientId: string }) => {
      if (client.clientId !== clientId) return;
      broker.off("clientSubscribed", on);
      resolve();
    };
    broker.on("clientSubscribed", on);
  });
  const child = spawn(
    "mosquitto_sub",
    [...mosquittoArgs(port), "-i", clientId, ...args, "-C", String(count), "-W", "8"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  children.add(child);
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const lines = new Promise<string[]>((resolve, reject) => {
    // "close", not "exit": only then has all of its output been read.
    child.once("close", (code) =>
      code === 0
        ? resolve(out.trimEnd().split("\n"))
        : reject(new Error(`mosquitto_sub exited ${code}: ${err}`)),
    );
  });
  // A test that never awaits the lines (it kills the process) must not see an unhandled rejection.
  lines.catch(() => {});
  return { lines, ready: deadline(ready, "mosquitto_sub's subscription"), child };
}

/** Run a mosquitto client to its end; resolves with its exit code and output (never rejects on a non-zero code). */
export function mosquitto(
  command: "mosquitto_pub" | "mosquitto_sub",
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return deadline(
    new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr }))),
    command,
    10_000,
  );
}

/** Start a mosquitto client that keeps running (e.g. to kill it and fire its will). */
export function mosquittoProcess(command: "mosquitto_pub" | "mosquitto_sub", args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  return child;
}

/** Wait for the broker to report `clientId` connected. */
export function clientConnected(broker: Broker, clientId: string): Promise<void> {
  return deadline(
    new Promise<void>((resolve) => {
      const on = (client: { clientId: string }) => {
        if (client.clientId !== clientId) return;
        broker.off("clientConnected", on);
        resolve();
      };
      broker.on("clientConnected", on);
    }),
    `${clientId} to connect`,
  );
}
