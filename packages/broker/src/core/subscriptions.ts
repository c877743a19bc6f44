import type { QoS } from "@amqtt/codec";
import { isFailure, ReasonCode, reasonCodeName, SUBACK_FAILURE } from "@amqtt/codec";
import type { SubscriptionTree } from "@amqtt/message";
import type { SubscribeRequestAction, UnsubscribeRequestAction } from "@amqtt/session";
import type { ResolvedBrokerConfig } from "../config/resolve.js";
import type { SubscriptionEntry } from "./delivery-target.js";
import type { BrokerEvents } from "./events.js";
import { withRemainingExpiry } from "./messages.js";
import { isPromiseLike, type PluginHost } from "./plugin-host.js";
import type { RetainedStore } from "./retained.js";
import type { BrokerConnection, SessionState } from "./session-state.js";
import type { Clock } from "./timers.js";

/** One SUBSCRIBE's checks so far (see `Subscriptions.checkFrom`). */
interface CheckScope {
  readonly state: SessionState;
  /** One code per filter checked, in order. */
  readonly codes: number[];
  /** `max_subscriptions_per_client` (0: none). */
  readonly bound: number;
  /** Filters the session holds plus the new ones granted so far. */
  held: number;
  /** New filters granted so far, when the packet has several (to count a repeated one once). */
  readonly adding: Set<string> | undefined;
}

/** What SUBSCRIBE and UNSUBSCRIBE need from the broker. */
export interface SubscriptionsHost {
  readonly config: ResolvedBrokerConfig;
  readonly clock: Clock;
  readonly plugins: PluginHost;
  readonly tree: SubscriptionTree<SubscriptionEntry>;
  readonly retained: RetainedStore;
  emit<K extends keyof BrokerEvents>(event: K, ...args: BrokerEvents[K]): void;
  /** Keep a connected persistent session's subscriptions in a persistent store. */
  saveLiveSession(state: SessionState | undefined, conn: BrokerConnection): void;
  /**
   * Clustered brokers only: a promise of the route changes in flight (every
   * other node's replica holds them), or `undefined` when none is. A single
   * broker leaves it out: its SUBACK never waits.
   */
  routesSettled?(): Promise<void> | undefined;
}

/**
 * SUBSCRIBE and UNSUBSCRIBE: capability checks (5.0 Protocol Errors for
 * features CONNACK announced as unavailable), plugin authorization, the
 * subscription tree, retained messages by Retain Handling.
 */
export class Subscriptions {
  constructor(private readonly host: SubscriptionsHost) {}

  /**
   * SUBSCRIBE: add the granted filters, answer every filter with its code
   * (clustered: once the routes are everywhere), then send their retained
   * messages. Synchronous unless a plugin answers with a promise (or a cluster
   * waits for its routes): an async function would make a promise, and a chain
   * in the connection's serial tasks, per SUBSCRIBE.
   */
  subscribe(conn: BrokerConnection, action: SubscribeRequestAction): void | Promise<void> {
    const state = conn.state;
    if (state === undefined) return;
    // The per-session bound counts filters held plus those this SUBSCRIBE adds;
    // a filter already held (or twice in one packet) replaces, so it counts once.
    const bound = this.host.config.limits.maxSubscriptionsPerClient;
    const scope: CheckScope = {
      state,
      codes: [],
      bound,
      held: state.filters.size,
      // Only a packet with several filters can repeat one.
      adding: bound > 0 && action.subscriptions.length > 1 ? new Set<string>() : undefined,
    };
    const checked = this.checkFrom(conn, action, scope, 0);
    if (checked === true) return this.answer(conn, action, state, scope.codes);
    if (checked === false) return;
    return checked.then((go) => (go ? this.answer(conn, action, state, scope.codes) : undefined));
  }

  /**
   * Check the filters from `i` on, codes into `scope.codes`, in order; the plugin
   * is asked one filter at a time. False when the connection was told to go (5.0
   * Protocol Error); a promise once a plugin answered with one.
   */
  private checkFrom(
    conn: BrokerConnection,
    action: SubscribeRequestAction,
    scope: CheckScope,
    start: number,
  ): boolean | Promise<boolean> {
    const v5 = conn.protocolVersion === 5;
    const caps = this.host.config.capabilities;
    const codes = scope.codes;
    const subs = action.subscriptions;
    for (let i = start; i < subs.length; i++) {
      const sub = subs[i]!;
      if (sub.refusedWith !== undefined) {
        codes.push(sub.refusedWith);
        continue;
      }
      const shared = sub.topicFilter.startsWith("$share/");
      const refusal =
        shared && !caps.sharedSubscriptionAvailable
          ? ReasonCode.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED
          : !caps.wildcardSubscriptionAvailable && /[+#]/.test(sub.topicFilter)
            ? ReasonCode.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED
            : !caps.subscriptionIdentifierAvailable && sub.subscriptionIdentifier !== undefined
              ? ReasonCode.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED
              : undefined;
      if (refusal !== undefined) {
        // 5.0: using a feature CONNACK said is unavailable is a Protocol Error: DISCONNECT
        // with that code (sections 3.2.2.3.11 to 3.2.2.3.13). 3.1.1 has only SUBACK 0x80.
        if (v5) {
          conn.disconnect(refusal);
          return false;
        }
        codes.push(ReasonCode.UNSPECIFIED_ERROR);
        continue;
      }
      const answer = this.host.plugins.authorizeSubscribe(conn.info, sub.topicFilter, sub.qos);
      if (isPromiseLike(answer))
        return Promise.resolve(answer).then((a) => {
          this.decided(a, sub, v5, scope);
          return this.checkFrom(conn, action, scope, i + 1);
        });
      this.decided(answer, sub, v5, scope);
    }
    return true;
  }

  /** The plugin's answer for `sub`: its code, or a refusal (also over `max_subscriptions_per_client`). */
  private decided(
    answer: boolean | number | undefined,
    sub: SubscribeRequestAction["subscriptions"][number],
    v5: boolean,
    scope: CheckScope,
  ): void {
    const codes = scope.codes;
    if (answer === false || typeof answer === "number") {
      // A refusal is 0x80 unless the plugin chose a 5.0 code (e.g. 0x87); 3.1.1 has only 0x80.
      codes.push(v5 && typeof answer === "number" ? answer : ReasonCode.UNSPECIFIED_ERROR);
      return;
    }
    const f = sub.topicFilter;
    if (scope.bound > 0 && !scope.state.filters.has(f) && scope.adding?.has(f) !== true) {
      if (scope.held >= scope.bound) {
        // Over `max_subscriptions_per_client`: this filter only is refused (5.0 0x97, 3.1.1 0x80 Failure).
        codes.push(v5 ? ReasonCode.QUOTA_EXCEEDED : SUBACK_FAILURE);
        return;
      }
      scope.held++;
      scope.adding?.add(f);
    }
    codes.push(Math.min(sub.qos, this.host.config.capabilities.maxQos));
  }

  /** Every filter has its code: add the granted ones, answer (clustered: once routed everywhere), send retained. */
  private answer(
    conn: BrokerConnection,
    action: SubscribeRequestAction,
    state: SessionState,
    codes: number[],
  ): void | Promise<void> {
    const v5 = conn.protocolVersion === 5;
    if (conn.closed) return;
    const refused = codes.filter(isFailure);
    const properties =
      refused.length === 0
        ? undefined
        : { reasonString: [...new Set(refused.map(reasonCodeName))].join(", ") };
    const t = this.host.clock.now();
    const retainedSends: (() => void)[] = [];
    // A 3.1.1 bridge (bridge bit) is not sent its own messages back and keeps retain flags,
    // the 5.0 options it has no way to ask for (Mosquitto does the same).
    const bridge = conn.info.bridge === true;
    action.subscriptions.forEach((sub, i) => {
      const granted = codes[i]!;
      if (isFailure(granted)) return;
      const entry: SubscriptionEntry = {
        qos: granted as QoS,
        noLocal: sub.noLocal ?? bridge,
        retainAsPublished: sub.retainAsPublished ?? bridge,
        retainHandling: sub.retainHandling ?? 0,
        subscriptionIdentifier: sub.subscriptionIdentifier,
        target: state,
      };
      const isNew = this.host.tree.add(sub.topicFilter, state.clientId, entry);
      state.filters.set(sub.topicFilter, entry);
      this.host.plugins.fire("onClientSubscribed", conn.info, sub.topicFilter, entry.qos);
      this.host.emit("clientSubscribed", conn.info, sub.topicFilter, entry.qos);
      // Retained messages: Retain Handling 0 always, 1 only for a new subscription, 2 never;
      // never for a shared subscription (5.0 section 4.8.2).
      const handling = sub.retainHandling ?? 0;
      if (sub.topicFilter.startsWith("$share/") || handling === 2 || (handling === 1 && !isNew)) return;
      for (const r of this.host.retained.match(sub.topicFilter, t)) {
        const qos = Math.min(r.qos, entry.qos) as QoS;
        let properties = r.properties;
        if (entry.subscriptionIdentifier !== undefined && v5)
          properties = { ...properties, subscriptionIdentifiers: [entry.subscriptionIdentifier] };
        // Sent because of a new subscription: RETAIN is 1 [MQTT-3.3.1-8].
        const p = withRemainingExpiry(properties, r.expiresAt, t);
        if (p !== null) retainedSends.push(() => conn.deliver(r.topic, r.payload, qos, true, p));
      }
    });
    // Clustered: the SUBACK waits until every live node routes the new filters here, so a
    // message published anywhere after the SUBACK reaches the subscriber, as on one broker.
    // The tree holds the subscriptions already: a message routed here meanwhile is delivered
    // (a Server may send matching PUBLISH packets before the SUBACK, 3.1.1 section 3.8.4).
    // Saved before the wait: a connection closing meanwhile keeps its persistent session's new filters.
    this.host.saveLiveSession(state, conn);
    const settled = this.host.routesSettled?.();
    const suback = (): void => {
      conn.apply(conn.session.answerSubscribe(action.packetId, codes, this.host.clock.now(), properties));
      for (const send of retainedSends) send();
    };
    if (settled === undefined) {
      suback();
      return;
    }
    return settled.then(() => {
      if (!conn.closed) suback();
    });
  }

  /** UNSUBSCRIBE: remove each filter, answer 0x00 or 0x11 (no subscription existed). */
  unsubscribe(conn: BrokerConnection, action: UnsubscribeRequestAction): void {
    const state = conn.state;
    if (state === undefined || conn.closed) return;
    const codes = action.topicFilters.map((filter) => {
      const removed = this.host.tree.remove(filter, state.clientId);
      state.filters.delete(filter);
      if (removed) {
        this.host.plugins.fire("onClientUnsubscribed", conn.info, filter);
        this.host.emit("clientUnsubscribed", conn.info, filter);
      }
      return removed ? ReasonCode.SUCCESS : ReasonCode.NO_SUBSCRIPTION_EXISTED;
    });
    conn.apply(conn.session.answerUnsubscribe(action.packetId, this.host.clock.now(), codes));
    this.host.saveLiveSession(state, conn);
  }
}
