import type { QoS } from "@amqtt/codec";
import { topicMatches } from "@amqtt/message";
import type { BridgeTopic } from "./config.js";

/** Where a message goes across the bridge, and at which QoS. */
export interface Mapped {
  topic: string;
  qos: QoS;
}

/**
 * Topic remapping both ways, Mosquitto's rule: the local side of an entry is
 * `local_prefix + filter`, the remote side `remote_prefix + filter`; a
 * message's topic swaps one prefix for the other. The first matching entry
 * wins, in configuration order.
 */
export class TopicMap {
  private readonly outbound: BridgeTopic[];
  private readonly inbound: BridgeTopic[];

  constructor(topics: readonly BridgeTopic[]) {
    this.outbound = topics.filter((t) => t.direction !== "in");
    this.inbound = topics.filter((t) => t.direction !== "out");
  }

  /** The remote topic and QoS of a local message, or undefined when no `out`/`both` entry takes it. */
  toRemote(localTopic: string, qos: QoS): Mapped | undefined {
    for (const t of this.outbound) {
      if (!localTopic.startsWith(t.localPrefix)) continue;
      if (!topicMatches(t.localPrefix + t.filter, localTopic)) continue;
      return {
        topic: t.remotePrefix + localTopic.slice(t.localPrefix.length),
        qos: Math.min(qos, t.qos) as QoS,
      };
    }
    return undefined;
  }

  /** The local topic of a remote message, or undefined when no `in`/`both` entry takes it. */
  toLocal(remoteTopic: string, qos: QoS): Mapped | undefined {
    for (const t of this.inbound) {
      if (!remoteTopic.startsWith(t.remotePrefix)) continue;
      if (!topicMatches(t.remotePrefix + t.filter, remoteTopic)) continue;
      return {
        topic: t.localPrefix + remoteTopic.slice(t.remotePrefix.length),
        qos: Math.min(qos, t.qos) as QoS,
      };
    }
    return undefined;
  }

  /** The subscriptions to make at the remote: one per `in`/`both` entry. */
  remoteSubscriptions(): { topicFilter: string; qos: QoS }[] {
    return this.inbound.map((t) => ({ topicFilter: t.remotePrefix + t.filter, qos: t.qos }));
  }

  /** The local filters of the `out`/`both` entries (to find the retained messages to send at start). */
  localOutboundFilters(): string[] {
    return this.outbound.map((t) => t.localPrefix + t.filter);
  }

  /** Whether anything flows out (so the bridge listens to local messages at all). */
  get hasOutbound(): boolean {
    return this.outbound.length > 0;
  }
}
