import { isFailure, ReasonCode, reasonCodeName } from "@amqtt/codec";
import type { PublishRequestAction } from "@amqtt/session";
import type { BrokerStore } from "@amqtt/store";
import type { ResolvedBrokerConfig } from "../config/resolve.js";
import { actionLists } from "../core/action-lists.js";
import type { DurableAcks } from "../core/durable-acks.js";
import { messageOf } from "../core/messages.js";
import { isPromiseLike, type PluginHost } from "../core/plugin-host.js";
import type { RefusalLog } from "../core/refusal-log.js";
import { isSysTopic, type RetainedStore } from "../core/retained.js";
import type { BrokerConnection } from "../core/session-state.js";
import type { Clock } from "../core/timers.js";
import type { Logger } from "../logger.js";
import type { BrokerStats, PluginMessage } from "../plugins/types.js";
import type { SessionSaver } from "./session-saver.js";

/** What the publish policy needs from the broker. */
export interface PublishPolicyHost {
  readonly store: BrokerStore;
  readonly clock: Clock;
  readonly plugins: PluginHost;
  readonly counters: BrokerStats;
  readonly logger: Logger;
  readonly acks: DurableAcks;
  readonly saver: SessionSaver;
  readonly retained: RetainedStore;
  readonly config: Pick<ResolvedBrokerConfig, "dollarTopicPublish">;
  /** QoS 1/2 acknowledgements also wait for the cluster engine to hold the message. */
  readonly acksWaitOnEngine?: boolean;
  readonly refusals: Pick<RefusalLog, "retainedRefused">;
}

/**
 * Every PUBLISH is a question first (`answerPublishes`): the `$`-topic rule,
 * plugins' authorization and the retained bounds decide it, and the answer (the
 * PUBACK/PUBREC; in 5.0 0x87, 0x90 or 0x97 when refused) waits while a
 * subscriber of this publisher is congested. Answers go out in arrival order.
 */
export class PublishPolicy {
  constructor(private readonly host: PublishPolicyHost) {}

  /** A PUBLISH arrived: decide, then answer in order. */
  request(conn: BrokerConnection, request: PublishRequestAction): void {
    this.host.counters.publishReceived++;
    const message = messageOf(request);
    this.host.plugins.fire("onMessageReceived", conn.info, message);
    // A method and its arguments, not a closure per PUBLISH.
    conn.inOrderWith(this, this.decide, conn, request, message);
  }

  /** The `$`-topic rule and the plugins' authorization, then the answer. */
  private decide(
    conn: BrokerConnection,
    request: PublishRequestAction,
    message: PluginMessage,
  ): void | Promise<void> {
    const dollar = this.dollarTopicCode(request.topic);
    if (dollar !== undefined) return this.answer(conn, request, dollar);
    const allowed = this.host.plugins.authorizePublish(conn.info, message);
    if (isPromiseLike(allowed)) return allowed.then((a) => this.answer(conn, request, verdictCode(a)));
    return this.answer(conn, request, verdictCode(allowed));
  }

  /** Send the answer once the publisher may go on (see `ClientConnection.pauseFor`). */
  private answer(
    conn: BrokerConnection,
    request: PublishRequestAction,
    verdict: number,
  ): void | Promise<void> {
    const wait = conn.pausedUntil();
    if (wait === undefined) return this.send(conn, request, verdict);
    return wait.then(() => this.send(conn, request, verdict));
  }

  /**
   * The answer to the session. It knows what an answer still means after the
   * connection ended (a QoS 0 message received whole is still delivered).
   */
  private send(conn: BrokerConnection, request: PublishRequestAction, verdict: number): void {
    const code = verdict === ReasonCode.SUCCESS ? this.retainedQuota(conn, request) : verdict;
    const refused = isFailure(code);
    if (refused)
      this.host.logger.debug("publish refused", {
        clientId: conn.info.clientId,
        topic: request.topic,
        code,
      });
    // A refusal says why, unless the client asked for no problem information (the session drops it then).
    const properties = refused ? { reasonString: reasonCodeName(code) } : undefined;
    const actions = conn.session.answerPublish(
      request.requestId,
      code,
      this.host.clock.now(),
      properties,
      actionLists.take(),
    );
    // With a persistent store an accepted QoS 1/2 message is acknowledged once durable.
    // In a cluster, also once the engine holds the copies for other nodes.
    const durable =
      (this.host.store.persistent || this.host.acksWaitOnEngine === true) && request.qos > 0 && !refused;
    // QoS 2 exactly once across a crash: the packet id the publisher will release goes to
    // the store in the same turn (one transaction) as the routed message, before PUBREC.
    const alongside =
      durable && request.qos === 2 ? () => this.host.saver.saveLive(conn.state, conn) : undefined;
    // DurableAcks carries the list out or copies what waits for the flush: it keeps no list.
    this.host.acks.apply(conn, actions, durable, alongside);
    actionLists.give(actions);
  }

  /**
   * The refusal of a PUBLISH to a `$` topic, or `undefined` when it goes on.
   * "$SYS/" belongs to the broker (section 4.7.2): 0x87 Not authorized. Other "$"
   * topics are accepted by default, as Mosquitto and EMQX do, and reach only
   * subscriptions that name them: wildcards never match a first "$" level
   * [MQTT-4.7.2-1]. With `dollar_topic_publish: refuse` they get 0x90 Topic Name
   * invalid: the name is well formed but this server keeps clients from
   * exchanging messages on "$" topics, as section 4.7.2 says it SHOULD; the
   * refusal is about the name, for every client, not about this publisher (0x87).
   * 3.1.1 clients get a plain acknowledgement and the message is dropped [MQTT-3.3.5-2].
   */
  private dollarTopicCode(topic: string): number | undefined {
    if (!topic.startsWith("$")) return undefined;
    if (isSysTopic(topic)) return ReasonCode.NOT_AUTHORIZED;
    const policy = this.host.config.dollarTopicPublish;
    switch (policy) {
      case "accept":
        return undefined;
      case "refuse":
        return ReasonCode.TOPIC_NAME_INVALID;
      default: {
        const _never: never = policy;
        return _never;
      }
    }
  }

  /**
   * 5.0 QoS 1/2: a retained message the retained bounds would refuse is refused
   * with 0x97 Quota exceeded before it is acknowledged, never acknowledged and
   * then silently not kept. 3.1.1 (no negative acknowledgement) and QoS 0 are
   * accepted here: the router delivers without retaining, and logs and counts it.
   */
  private retainedQuota(conn: BrokerConnection, request: PublishRequestAction): number {
    if (!request.retain || request.qos === 0 || conn.info.protocolVersion !== 5) return ReasonCode.SUCCESS;
    const bound = this.host.retained.refusal(request);
    if (bound === undefined) return ReasonCode.SUCCESS;
    this.host.refusals.retainedRefused(conn.info, request.topic, bound, "0x97 Quota exceeded");
    return ReasonCode.QUOTA_EXCEEDED;
  }
}

/** A plugin verdict as a PUBACK/PUBREC reason code: Success when allowed, Not authorized (or the plugin's code) when refused. */
function verdictCode(answer: unknown): number {
  if (typeof answer === "number") return answer;
  return answer === false ? ReasonCode.NOT_AUTHORIZED : ReasonCode.SUCCESS;
}
