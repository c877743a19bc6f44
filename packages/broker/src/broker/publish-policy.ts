import { isFailure, ReasonCode, reasonCodeName } from "@amqtt/codec";
import type { PublishRequestAction } from "@amqtt/session";
import type { BrokerStore } from "@amqtt/store";
import type { DurableAcks } from "../core/durable-acks.js";
import { messageOf } from "../core/messages.js";
import { isPromiseLike, type PluginHost } from "../core/plugin-host.js";
import type { BrokerConnection } from "../core/session-state.js";
import type { Clock } from "../core/timers.js";
import type { Logger } from "../logger.js";
import type { BrokerStats } from "../plugins/types.js";
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
}

/**
 * Every PUBLISH is a question first (`answerPublishes`): plugins authorize it,
 * and the answer (the PUBACK/PUBREC, with 0x87 in 5.0 when refused) waits while
 * a subscriber of this publisher is congested. Answers go out in arrival order.
 */
export class PublishPolicy {
  constructor(private readonly host: PublishPolicyHost) {}

  /** A PUBLISH arrived: decide, then answer in order. */
  request(conn: BrokerConnection, request: PublishRequestAction): void {
    const { plugins } = this.host;
    this.host.counters.publishReceived++;
    const message = messageOf(request);
    plugins.fire("onMessageReceived", conn.info, message);
    conn.inOrder(() => {
      // "$SYS/" belongs to the broker (section 4.7.2); other "$" topics are accepted, as Mosquitto and EMQX do,
      // and reach only subscriptions that name them: wildcards never match a first "$" level [MQTT-4.7.2-1].
      if (request.topic === "$SYS" || request.topic.startsWith("$SYS/"))
        return this.answer(conn, request, ReasonCode.NOT_AUTHORIZED);
      const allowed = plugins.authorizePublish(conn.info, message);
      if (isPromiseLike(allowed)) return allowed.then((a) => this.answer(conn, request, verdictCode(a)));
      return this.answer(conn, request, verdictCode(allowed));
    });
  }

  /** Send the answer once the publisher may go on (see `ClientConnection.pauseFor`). */
  private answer(conn: BrokerConnection, request: PublishRequestAction, code: number): void | Promise<void> {
    // The session knows what an answer still means after the connection ended
    // (a QoS 0 message received whole is still delivered).
    const send = () => {
      const refused = isFailure(code);
      if (refused)
        this.host.logger.debug("publish refused", {
          clientId: conn.info.clientId,
          topic: request.topic,
          code,
        });
      // A refusal says why, unless the client asked for no problem information (the session drops it then).
      const properties = refused ? { reasonString: reasonCodeName(code) } : undefined;
      const actions = conn.session.answerPublish(request.requestId, code, this.host.clock.now(), properties);
      // With a persistent store an accepted QoS 1/2 message is acknowledged once durable.
      const durable = this.host.store.persistent && request.qos > 0 && !refused;
      // QoS 2 exactly once across a crash: the packet id the publisher will release goes to
      // the store in the same turn (one transaction) as the routed message, before PUBREC.
      const alongside =
        durable && request.qos === 2 ? () => this.host.saver.saveLive(conn.state, conn) : undefined;
      this.host.acks.apply(conn, actions, durable, alongside);
    };
    const wait = conn.pausedUntil();
    if (wait === undefined) return send();
    return wait.then(send);
  }
}

/** A plugin verdict as a PUBACK/PUBREC reason code: Success when allowed, Not authorized (or the plugin's code) when refused. */
function verdictCode(answer: unknown): number {
  if (typeof answer === "number") return answer;
  return answer === false ? ReasonCode.NOT_AUTHORIZED : ReasonCode.SUCCESS;
}
