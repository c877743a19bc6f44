// SUBSCRIBE and UNSUBSCRIBE handling by construction: the real Subscriptions,
// subscription tree, retained store, SessionState and ServerSession machine; the
// connection around the machine only records what it is asked to send (no network).
import {
  encode,
  type Packet,
  PacketType,
  type ProtocolVersion,
  type QoS,
  ReasonCode,
  SUBACK_FAILURE,
  type Subscription,
} from "@amqtt/codec";
import { SubscriptionTree } from "@amqtt/message";
import {
  ServerSession,
  type SessionAction,
  type SubscribeRequestAction,
  type UnsubscribeRequestAction,
} from "@amqtt/session";
import { describe, expect, it } from "vitest";
import { resolveBrokerConfig } from "../../src/config/resolve.js";
import type { BrokerConfigInput } from "../../src/config/schema.js";
import type { SubscriptionEntry } from "../../src/core/delivery-target.js";
import type { PluginHost } from "../../src/core/plugin-host.js";
import { RetainedStore } from "../../src/core/retained.js";
import type { BrokerConnection } from "../../src/core/session-state.js";
import { SessionState } from "../../src/core/session-state.js";
import { Subscriptions } from "../../src/core/subscriptions.js";
import { systemClock } from "../../src/core/timers.js";
import type { ClientInfo } from "../../src/plugins/types.js";
import { allowAll, clientInfo } from "./fixtures.js";

/** A connected server machine; what it sends and what the broker delivers through it are recorded. */
class UnitConnection {
  readonly session = new ServerSession({ trackSubscriptions: false });
  readonly info: ClientInfo;
  readonly sent: Packet[] = [];
  readonly delivered: { topic: string; qos: QoS; retain: boolean; ids: number[] | undefined }[] = [];
  state: SessionState | undefined;
  closed = false;
  disconnectedWith: number | undefined;
  readonly congested = false;
  private requests: (SubscribeRequestAction | UnsubscribeRequestAction)[] = [];

  constructor(clientId: string, version: ProtocolVersion) {
    this.info = clientInfo(clientId, version);
    this.session.start(0);
    this.apply(
      this.session.received(
        encode(
          { type: PacketType.CONNECT, protocolVersion: version, clean: true, keepAlive: 0, clientId },
          version,
        ),
        0,
      ),
    );
    this.apply(this.session.accept({}, 0));
  }

  get protocolVersion(): ProtocolVersion {
    return this.session.protocolVersion;
  }

  apply(actions: SessionAction[]): void {
    for (const a of actions) {
      if (a.kind === "send") this.sent.push(a.packet);
      else if (a.kind === "subscribeRequest" || a.kind === "unsubscribeRequest") this.requests.push(a);
    }
  }

  deliver(
    topic: string,
    _payload: Uint8Array,
    qos: QoS,
    retain: boolean,
    properties?: { subscriptionIdentifiers?: number[] },
  ): void {
    this.delivered.push({ topic, qos, retain, ids: properties?.subscriptionIdentifiers });
  }

  disconnect(reasonCode: number): void {
    this.disconnectedWith = reasonCode;
    this.closed = true;
  }

  /** The machine's request for a SUBSCRIBE or UNSUBSCRIBE the client sent. */
  request<A extends SubscribeRequestAction | UnsubscribeRequestAction>(packet: Packet): A {
    this.apply(this.session.received(encode(packet, this.protocolVersion), 0));
    const request = this.requests.shift();
    if (request === undefined) throw new Error("the machine made no request of the packet");
    return request as A;
  }

  /** The last packet sent, which must be of `type`. */
  last<T extends Packet["type"]>(type: T): Extract<Packet, { type: T }> {
    const p = this.sent.at(-1);
    if (p?.type !== type) throw new Error(`expected packet type ${type}, got ${p?.type}`);
    return p as Extract<Packet, { type: T }>;
  }
}

function setUp(config: BrokerConfigInput = {}, plugins: PluginHost = allowAll()) {
  const tree = new SubscriptionTree<SubscriptionEntry>();
  const retained = new RetainedStore();
  const saves: string[] = [];
  const subscriptions = new Subscriptions({
    config: resolveBrokerConfig({ listeners: {}, ...config }),
    clock: systemClock,
    plugins,
    tree,
    retained,
    emit: () => {},
    saveLiveSession: (state) => saves.push(state?.clientId ?? ""),
  });
  const local = { counters: { publishSent: 0 }, queueQos0Messages: false, enqueue: () => {} };
  let packetId = 0;
  const connect = (clientId: string, version: ProtocolVersion = 5) => {
    const conn = new UnitConnection(clientId, version);
    const state = new SessionState(clientId, conn.info, local);
    const broker = conn as unknown as BrokerConnection;
    state.connection = broker;
    conn.state = state;
    /** SUBSCRIBE `subs` (options per filter; `id`: the 5.0 Subscription Identifier); resolves with the SUBACK codes. */
    const subscribe = async (subs: Subscription[], id?: number) => {
      const request = conn.request<SubscribeRequestAction>({
        type: PacketType.SUBSCRIBE,
        packetId: ++packetId,
        subscriptions: subs,
        ...(id === undefined ? {} : { properties: { subscriptionIdentifier: id } }),
      });
      await subscriptions.subscribe(broker, request);
      return conn.closed ? undefined : conn.last(PacketType.SUBACK).reasonCodes;
    };
    const unsubscribe = (filters: string[]) => {
      const request = conn.request<UnsubscribeRequestAction>({
        type: PacketType.UNSUBSCRIBE,
        packetId: ++packetId,
        topicFilters: filters,
      });
      subscriptions.unsubscribe(broker, request);
      return conn.last(PacketType.UNSUBACK).reasonCodes;
    };
    return { conn, state, subscribe, unsubscribe };
  };
  const retain = (topic: string, qos: QoS = 2) =>
    retained.set({ topic, payload: new Uint8Array([1]), qos, properties: undefined, expiresAt: undefined });
  return { tree, retained, saves, connect, retain };
}

const sub = (topicFilter: string, qos: QoS = 2, options: Partial<Subscription> = {}): Subscription => ({
  topicFilter,
  qos,
  ...options,
});

describe("Subscriptions: SUBSCRIBE", () => {
  it("answers each filter in order, capped at max_qos, and adds it to the tree and the session [MQTT-3.9.3-1]", async () => {
    const { tree, connect, saves } = setUp({ max_qos: 1 });
    const { conn, state, subscribe } = connect("c");
    expect(await subscribe([sub("a", 2), sub("b/+", 0), sub("c/#", 1)])).toEqual([1, 0, 1]);
    expect(tree.size).toBe(3);
    expect([...state.filters.keys()]).toEqual(["a", "b/+", "c/#"]);
    expect(tree.get("b/+", "c")?.qos).toBe(0);
    // The broker holds each subscription once: the machine keeps no copy.
    expect(conn.session.subscriptions.size).toBe(0);
    expect(saves).toEqual(["c"]);
  });

  it("replaces an existing subscription of the same filter, never adds a second [MQTT-3.8.4-3]", async () => {
    const { tree, connect } = setUp();
    const { state, subscribe } = connect("r");
    await subscribe([sub("x/+", 0)]);
    await subscribe([sub("x/+", 2, { noLocal: true })]);
    expect(tree.size).toBe(1);
    expect(state.filters.size).toBe(1);
    expect(tree.get("x/+", "r")).toMatchObject({ qos: 2, noLocal: true });
  });

  it("sends matching retained messages with RETAIN 1 at min(retained, granted) QoS [MQTT-3.3.1-8]", async () => {
    const { connect, retain } = setUp();
    retain("t/1", 2);
    retain("t/2", 0);
    retain("u/1", 2);
    const { conn, subscribe } = connect("ret");
    await subscribe([sub("t/+", 1)]);
    expect(conn.delivered.map((d) => [d.topic, d.qos, d.retain]).sort()).toEqual([
      ["t/1", 1, true],
      ["t/2", 0, true],
    ]);
  });

  it("follows Retain Handling: 0 on every SUBSCRIBE, 1 only for a new subscription, 2 never (5.0 section 3.8.3.1)", async () => {
    for (const [handling, expected] of [
      [0, 2],
      [1, 1],
      [2, 0],
    ] as const) {
      const { connect, retain } = setUp();
      retain("h/1");
      const { conn, subscribe } = connect(`rh${handling}`);
      await subscribe([sub("h/+", 1, { retainHandling: handling })]);
      await subscribe([sub("h/+", 1, { retainHandling: handling })]);
      expect(conn.delivered.length).toBe(expected);
    }
  });

  it("sends no retained message for a shared subscription (5.0 section 4.8.2)", async () => {
    const { connect, retain } = setUp();
    retain("s/1");
    const { conn, subscribe } = connect("sh");
    expect(await subscribe([sub("$share/g/s/+", 1)])).toEqual([1]);
    expect(conn.delivered).toEqual([]);
  });

  it("puts the Subscription Identifier on retained messages it sends (5.0) [MQTT-3.3.4-3]", async () => {
    const { connect, retain, tree } = setUp();
    retain("id/1");
    const { conn, subscribe } = connect("sid");
    await subscribe([sub("id/+", 1)], 42);
    expect(conn.delivered.map((d) => d.ids)).toEqual([[42]]);
    expect(tree.get("id/+", "sid")?.subscriptionIdentifier).toBe(42);
  });

  it("answers a plugin refusal with the plugin's 5.0 code, 0x80 Failure in 3.1.1, and keeps the others", async () => {
    const plugins = allowAll({
      authorizeSubscribe: (_c, filter) => (filter === "secret" ? ReasonCode.NOT_AUTHORIZED : true),
    });
    for (const version of [4, 5] as const) {
      const { tree, connect } = setUp({}, plugins);
      const { subscribe } = connect(`p${version}`, version);
      expect(await subscribe([sub("secret", 1), sub("open", 1)])).toEqual([
        version === 5 ? ReasonCode.NOT_AUTHORIZED : SUBACK_FAILURE,
        1,
      ]);
      expect(tree.size).toBe(1);
    }
  });

  it("closes a 5.0 client that uses a wildcard CONNACK said is unavailable (0xA2); 3.1.1 gets 0x80", async () => {
    const { tree, connect } = setUp({ wildcard_subscription_available: false });
    const v5 = connect("w5", 5);
    expect(await v5.subscribe([sub("a/+")])).toBeUndefined();
    expect(v5.conn.disconnectedWith).toBe(ReasonCode.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED);
    const v4 = connect("w4", 4);
    expect(await v4.subscribe([sub("a/+"), sub("a/b", 1)])).toEqual([SUBACK_FAILURE, 1]);
    expect(tree.size).toBe(1);
  });

  it("refuses past max_subscriptions_per_client per filter: 0x97 (5.0), 0x80 (3.1.1); a held filter counts once", async () => {
    for (const version of [4, 5] as const) {
      const { tree, connect } = setUp({ max_subscriptions_per_client: 2 });
      const { subscribe } = connect(`b${version}`, version);
      const refused = version === 5 ? ReasonCode.QUOTA_EXCEEDED : SUBACK_FAILURE;
      expect(await subscribe([sub("q/1", 1), sub("q/2", 1), sub("q/3", 1)])).toEqual([1, 1, refused]);
      expect(await subscribe([sub("q/1", 0), sub("q/4", 0)])).toEqual([0, refused]);
      expect(tree.size).toBe(2);
    }
  });
});

describe("Subscriptions: UNSUBSCRIBE", () => {
  it("removes each filter and answers 0x00, or 0x11 when there was none (5.0) [MQTT-3.11.3-1]", async () => {
    const { tree, connect } = setUp();
    const { state, subscribe, unsubscribe } = connect("u");
    await subscribe([sub("k/+"), sub("k/1")]);
    expect(unsubscribe(["k/+", "never"])).toEqual([ReasonCode.SUCCESS, ReasonCode.NO_SUBSCRIPTION_EXISTED]);
    expect([...state.filters.keys()]).toEqual(["k/1"]);
    expect(tree.get("k/+", "u")).toBeUndefined();
  });

  it("leaves an emptied tree with no nodes but its root (bound on trie memory)", async () => {
    const { tree, connect } = setUp();
    const { subscribe, unsubscribe } = connect("e");
    const filters = ["e/1/2/3", "e/+/2/#", "+/+", "#", "$share/g/e/#", "e/1"];
    await subscribe(filters.map((f) => sub(f, 1)));
    expect(tree.nodeCount).toBeGreaterThan(filters.length);
    expect(unsubscribe(filters)).toEqual(filters.map(() => ReasonCode.SUCCESS));
    expect(tree.size).toBe(0);
    expect(tree.nodeCount).toBe(1);
  });
});
