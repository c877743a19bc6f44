import { OutgoingApplicationMessage } from "@amqtt/message";
import type { ClientSession, PublishMessage, SessionAction } from "@amqtt/session";
import type { ClientContext } from "./client-context.js";
import type { PublishCallOptions } from "./client-options.js";
import { ClientError, PublishError } from "./errors.js";
import { guardedPendingPublish, type PendingPublish, PlainPendingPublish } from "./pending-publish.js";

const encoder = new TextEncoder();

/**
 * `MQTTClient.publish`: the QoS and retain defaults (per topic, then the
 * config's), then the session now when connected or the bounded offline queue.
 */
export function publish(
  ctx: ClientContext,
  topic: string,
  data: Uint8Array | string,
  options: PublishCallOptions,
): Promise<OutgoingApplicationMessage> {
  const perTopic = ctx.config.topics[topic];
  const qos = options.qos ?? perTopic?.qos ?? ctx.config.defaultQos;
  // `??` keeps an explicit `retain: false` (aMQTT's QUIRK let a default of true win).
  const retain = options.retain ?? perTopic?.retain ?? ctx.config.defaultRetain;
  if (qos !== 0 && qos !== 1 && qos !== 2)
    return Promise.reject(new ClientError(`QoS must be 0, 1 or 2, got ${String(qos)}`));
  if (ctx.state === "idle" || ctx.state === "closed")
    return Promise.reject(new ClientError(`publish while ${ctx.state}: connect first`));
  const payload = typeof data === "string" ? encoder.encode(data) : data;
  const message = new OutgoingApplicationMessage(undefined, topic, qos, payload, retain, options.properties);
  if (qos === 0 && options.signal === undefined && ctx.state === "connected") {
    // QoS 0 completes when it is written: no entry to track.
    const outcome = handOver(ctx, message, undefined);
    return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(message);
  }
  const ackSeconds = options.ackTimeout ?? ctx.config.ackTimeout;
  const timeoutMs = qos > 0 && ackSeconds !== undefined ? ackSeconds * 1000 : undefined;
  const entry =
    options.signal === undefined && timeoutMs === undefined
      ? new PlainPendingPublish(message)
      : guardedPendingPublish(
          message,
          ctx.config.clock,
          { signal: options.signal, timeoutMs, what: `publish to ${topic}` },
          (e) => ctx.offline.remove(e),
        );
  if (!entry.done()) {
    if (ctx.state === "connected") sendPublish(ctx, entry);
    else enqueueOffline(ctx, entry);
  }
  return entry.promise;
}

/** Hand a waiting publish to the connected session and settle it when its flow is already over. */
export function sendPublish(ctx: ClientContext, entry: PendingPublish): void {
  const outcome = handOver(ctx, entry.message, entry);
  if (outcome === true) entry.resolve(entry.message);
  else if (outcome !== false) entry.reject(outcome);
}

/**
 * Give a message to the session. Returns true when its flow is complete (QoS 0
 * written), false when it is in flight (`entry` is then tracked by its sequence
 * number until the acknowledgement), or the error that refused or dropped it.
 */
function handOver(
  ctx: ClientContext,
  m: OutgoingApplicationMessage,
  entry: PendingPublish | undefined,
): boolean | Error {
  if (m.qos === 0 && ctx.outbox.heldBytes > ctx.config.maxWriteBufferBytes)
    // The connection is not taking bytes as fast as they come: QoS 0 may be lost, so it is refused here.
    return new PublishError(`publish to ${m.topic} refused: the write buffer is full`, "queue-full");
  const session = ctx.session as ClientSession;
  const message: PublishMessage = { topic: m.topic, payload: m.data, qos: m.qos, retain: m.retain };
  if (hasAnyKey(m.properties)) message.properties = m.properties;
  let actions: SessionAction[];
  try {
    actions = session.publish(message, ctx.config.clock.now());
  } catch (cause) {
    return new ClientError(`publish refused: ${(cause as Error).message}`, { cause });
  }
  let outcome: boolean | Error = false;
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i] as SessionAction;
    if (a.kind === "publishAccepted") {
      if (entry !== undefined) ctx.publishes.set(a.seq, entry);
    } else if (a.kind === "published") outcome = true;
    else if (a.kind === "publishDropped" && a.seq === undefined)
      outcome = new PublishError(`publish to ${m.topic} dropped: ${a.reason}`, a.reason);
    else if (a.kind === "packetDropped" && m.qos === 0 && outcome === false)
      // Larger than the broker's Maximum Packet Size after all (e.g. with a Topic Alias): not sent [MQTT-3.1.2-25].
      outcome = new PublishError(`publish to ${m.topic} dropped: too-large`, "too-large");
  }
  ctx.carry(actions);
  return outcome;
}

/** Keep a publish made while disconnected; what the bounded queue refuses or evicts is rejected. */
function enqueueOffline(ctx: ClientContext, entry: PendingPublish): void {
  const bytes = entry.message.data.length + entry.message.topic.length;
  for (const out of ctx.offline.push(entry, bytes)) {
    out.reject(new PublishError("the offline queue is full", "queue-full"));
  }
}

/** Whether `object` has an own enumerable key (without building the key array). */
function hasAnyKey(object: object): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return true;
  return false;
}
