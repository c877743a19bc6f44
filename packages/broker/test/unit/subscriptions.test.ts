// SUBSCRIBE and UNSUBSCRIBE handling on its own: a real subscription tree and
// retained store, a recording stand-in for the connection (what it was told to
// answer, deliver or disconnect with) and a small plugin host.
import { type QoS, ReasonCode } from "@amqtt/codec";
import { SubscriptionTree } from "@amqtt/message";
import type { SubscribeRequestAction, SubscriptionRequest } from "@amqtt/session";
import { describe, expect, it } from "vitest";
import { type BrokerCapabilities, resolveBrokerConfig } from "../../src/config/resolve.js";
import type { SubscriptionEntry } from "../../src/core/delivery-target.js";
import type { PluginHost } from "../../src/core/plugin-host.js";
import { RetainedStore } from "../../src/core/retained.js";
import { type BrokerConnection, SessionState } from "../../src/core/session-state.js";
import { Subscriptions } from "../../src/core/subscriptions.js";
import { client } from "../plugins/helpers.js";

const clock = { now: () => 1000, setTimeout: () => 0, clearTimeout: () => {} };

/** What the stand-in connection was asked to do. */
interface Recorded {
  answers: { packetId: number; codes: number[]; reasonString: string | undefined }[];
  retained: { topic: string; qos: QoS; retain: boolean }[];
  disconnects: number[];
}

function setUp(
  options: {
    version?: 4 | 5;
    caps?: Partial<BrokerCapabilities>;
    authorizeSubscribe?: PluginHost["authorizeSubscribe"];
  } = {},
) {
  const version = options.version ?? 5;
  const base = resolveBrokerConfig({});
  const config = { ...base, capabilities: { ...base.capabilities, ...options.caps } };
  const tree = new SubscriptionTree<SubscriptionEntry>();
  const retained = new RetainedStore();
  const saved: string[] = [];
  const plugins: PluginHost = {
    authenticate: () => ({ accepted: true }),
    authorizePublish: () => true,
    authorizeSubscribe: options.authorizeSubscribe ?? (() => true),
    authorizeReceive: undefined,
    onPublish: (_c, m) => m,
    fire: () => {},
  };
  const subscriptions = new Subscriptions({
    config,
    clock,
    plugins,
    tree,
    retained,
    emit: () => {},
    saveLiveSession: (state) => saved.push(state?.clientId ?? "?"),
  });
  const info = client({ clientId: "c", protocolVersion: version });
  const local = { counters: { publishSent: 0 }, queueQos0Messages: false, enqueue: () => {} };
  const state = new SessionState("c", info, local);
  const recorded: Recorded = { answers: [], retained: [], disconnects: [] };
  const conn = {
    state,
    info,
    protocolVersion: version,
    closed: false,
    session: {
      answerSubscribe: (packetId: number, codes: number[], _t: number, p?: { reasonString?: string }) => ({
        packetId,
        codes,
        reasonString: p?.reasonString,
      }),
      answerUnsubscribe: (packetId: number, _t: number, codes: number[]) => ({
        packetId,
        codes,
        reasonString: undefined,
      }),
    },
    apply: (answer: Recorded["answers"][number]) => recorded.answers.push(answer),
    deliver: (topic: string, _payload: Uint8Array, qos: QoS, retain: boolean) =>
      recorded.retained.push({ topic, qos, retain }),
    disconnect: (code: number) => recorded.disconnects.push(code),
  } as unknown as BrokerConnection;
  const subscribe = (...subs: SubscriptionRequest[]) =>
    subscriptions.subscribe(conn, {
      kind: "subscribeRequest",
      packetId: 7,
      subscriptions: subs,
    } as SubscribeRequestAction);
  return { subscriptions, tree, retained, state, conn, recorded, saved, subscribe };
}

const sub = (
  topicFilter: string,
  qos: QoS = 1,
  extra: Partial<SubscriptionRequest> = {},
): SubscriptionRequest => ({
  topicFilter,
  qos,
  ...extra,
});

describe("SUBSCRIBE and UNSUBSCRIBE", () => {
  it("answers every filter in order with its granted QoS, capped by max_qos, and adds it to the tree [MQTT-3.9.3-1]", async () => {
    const { subscribe, recorded, tree, state, saved } = setUp({ caps: { maxQos: 1 } });
    await subscribe(sub("a/#", 2), sub("b", 0));
    expect(recorded.answers).toEqual([{ packetId: 7, codes: [1, 0], reasonString: undefined }]);
    expect(tree.match("a/x").subscriptions.map((s) => [s.clientId, s.value.qos])).toEqual([["c", 1]]);
    expect([...state.filters.keys()]).toEqual(["a/#", "b"]);
    expect(saved).toEqual(["c"]);
  });

  it("keeps the machine's own refusal of an invalid filter, and names the refusal in a reason string", async () => {
    const { subscribe, recorded, tree } = setUp();
    await subscribe(sub("ok"), sub("bad/#/x", 1, { refusedWith: ReasonCode.TOPIC_FILTER_INVALID }));
    expect(recorded.answers[0]!.codes).toEqual([1, ReasonCode.TOPIC_FILTER_INVALID]);
    expect(recorded.answers[0]!.reasonString).toBeDefined();
    expect(tree.match("bad/x/x").subscriptions).toEqual([]);
  });

  it("refuses a filter a plugin does not authorize: 0x80, or the plugin's own 5.0 code", async () => {
    const { subscribe, recorded } = setUp({
      authorizeSubscribe: (_c, filter) => (filter === "secret" ? ReasonCode.NOT_AUTHORIZED : filter !== "no"),
    });
    await subscribe(sub("yes"), sub("no"), sub("secret"));
    expect(recorded.answers[0]!.codes).toEqual([1, ReasonCode.UNSPECIFIED_ERROR, ReasonCode.NOT_AUTHORIZED]);
  });

  it("gives a 3.1.1 client only 0x80 for a refusal [MQTT-3.9.3-2]", async () => {
    const { subscribe, recorded } = setUp({
      version: 4,
      authorizeSubscribe: () => ReasonCode.NOT_AUTHORIZED,
    });
    await subscribe(sub("x"));
    expect(recorded.answers[0]!.codes).toEqual([ReasonCode.UNSPECIFIED_ERROR]);
  });

  it.each([
    ["wildcardSubscriptionAvailable", sub("a/+"), ReasonCode.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED],
    ["sharedSubscriptionAvailable", sub("$share/g/a"), ReasonCode.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED],
    [
      "subscriptionIdentifierAvailable",
      sub("a", 1, { subscriptionIdentifier: 3 }),
      ReasonCode.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED,
    ],
  ] as const)(
    "disconnects a 5.0 client that uses a feature CONNACK said is off (%s) (5.0 section 3.2.2.3)",
    async (cap, request, code) => {
      const { subscribe, recorded } = setUp({ caps: { [cap]: false } });
      await subscribe(request);
      expect(recorded.disconnects).toEqual([code]);
      expect(recorded.answers).toEqual([]);
    },
  );

  it("sends retained messages by Retain Handling: 0 always, 1 for a new subscription only, 2 never [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11]", async () => {
    const { subscribe, recorded, retained } = setUp();
    retained.set({
      topic: "r/1",
      payload: new Uint8Array([1]),
      qos: 2,
      properties: undefined,
      expiresAt: undefined,
    });
    await subscribe(sub("r/#", 1, { retainHandling: 0 }));
    await subscribe(sub("r/#", 1, { retainHandling: 0 }));
    expect(recorded.retained).toEqual([
      { topic: "r/1", qos: 1, retain: true },
      { topic: "r/1", qos: 1, retain: true },
    ]);
    recorded.retained.length = 0;
    await subscribe(sub("r/+", 2, { retainHandling: 1 }));
    await subscribe(sub("r/+", 2, { retainHandling: 1 }));
    await subscribe(sub("r/1", 2, { retainHandling: 2 }));
    // RETAIN is 1 on messages sent because of a new subscription [MQTT-3.3.1-8].
    expect(recorded.retained).toEqual([{ topic: "r/1", qos: 2, retain: true }]);
  });

  it("sends no retained messages for a shared subscription (5.0 section 4.8.2)", async () => {
    const { subscribe, recorded, retained } = setUp();
    retained.set({
      topic: "r/1",
      payload: new Uint8Array([1]),
      qos: 1,
      properties: undefined,
      expiresAt: undefined,
    });
    await subscribe(sub("$share/g/r/#"));
    expect(recorded.answers[0]!.codes).toEqual([1]);
    expect(recorded.retained).toEqual([]);
  });

  it("answers UNSUBSCRIBE with Success for a removed filter and No subscription existed otherwise", async () => {
    const { subscribe, subscriptions, conn, recorded, tree } = setUp();
    await subscribe(sub("a/#"));
    subscriptions.unsubscribe(conn, {
      kind: "unsubscribeRequest",
      packetId: 9,
      topicFilters: ["a/#", "never"],
    });
    expect(recorded.answers.at(-1)!.codes).toEqual([ReasonCode.SUCCESS, ReasonCode.NO_SUBSCRIPTION_EXISTED]);
    expect(tree.match("a/x").subscriptions).toEqual([]);
  });
});
