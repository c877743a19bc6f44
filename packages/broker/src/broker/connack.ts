import { type ConnackProperties, ReasonCode } from "@amqtt/codec";
import type { ConnectRequestAction } from "@amqtt/session";
import type { ResolvedBrokerConfig } from "../config/resolve.js";

/** The 5.0 CONNACK properties: what the broker's capabilities and limits tell an accepted client. */
export function connackProperties(
  config: ResolvedBrokerConfig,
  keepAlive: number,
  requestedExpiry: number | undefined,
  clientId: string,
): ConnackProperties {
  const c = config.capabilities;
  const props: ConnackProperties = {};
  // The basis for response topics; the session sends it only to a client that
  // asked with Request Response Information 1 [MQTT-3.1.2-28].
  props.responseInformation = `${config.responseInformation}${clientId}`;
  if (c.maxQos < 2) props.maximumQos = c.maxQos as 0 | 1;
  if (!c.retainAvailable) props.retainAvailable = 0;
  if (!c.wildcardSubscriptionAvailable) props.wildcardSubscriptionAvailable = 0;
  if (!c.subscriptionIdentifierAvailable) props.subscriptionIdentifiersAvailable = 0;
  if (!c.sharedSubscriptionAvailable) props.sharedSubscriptionAvailable = 0;
  const max = config.limits.maxKeepalive;
  if (max > 0 && (keepAlive === 0 || keepAlive > max)) props.serverKeepAlive = max;
  const cap = config.sessionExpiryInterval;
  if (cap !== undefined && requestedExpiry !== undefined && requestedExpiry > cap)
    props.sessionExpiryInterval = cap;
  return props;
}

/**
 * A 5.0 will the broker could not publish as asked: a Will QoS above Maximum
 * QoS gets 0x9B [MQTT-3.2.2-12], a retained will without Retain Available 0x9A
 * [MQTT-3.2.2-13]. 3.1.1 has no such codes; its will QoS is capped on delivery.
 */
export function willRefusal(
  config: ResolvedBrokerConfig,
  packet: ConnectRequestAction["packet"],
): number | undefined {
  const will = packet.will;
  if (packet.protocolVersion !== 5 || will === undefined) return undefined;
  const caps = config.capabilities;
  if (will.qos > caps.maxQos) return ReasonCode.QOS_NOT_SUPPORTED;
  if (will.retain && !caps.retainAvailable) return ReasonCode.RETAIN_NOT_SUPPORTED;
  return undefined;
}
