import { ProtocolError, ReasonCode } from "@amqtt/codec";

/** Default cap on outbound aliases kept per connection, whatever the peer allows. */
export const DEFAULT_MAX_OUTBOUND_ALIASES = 64;

/**
 * Inbound Topic Alias mapping of one connection (5.0 section 3.3.2.3.4). Bounded
 * by our own Topic Alias Maximum. A new connection starts with no mapping
 * [MQTT-3.3.2-7]: make a new instance per connection.
 */
export class InboundTopicAliases {
  /** Made with the first alias the peer sets. */
  private topics: Map<number, string> | undefined;

  /** @param maximum our Topic Alias Maximum (0: the peer may not use aliases). */
  constructor(readonly maximum: number) {}

  /**
   * The topic of a received PUBLISH: records `alias` for a non-empty `topic`, or
   * looks it up for an empty one. Returns a `ProtocolError` for a broken rule:
   * alias 0 or above our maximum is 0x94 Topic Alias invalid; an unknown alias
   * with an empty topic is 0x82 Protocol Error (section 3.3.2.3.4, no id).
   */
  resolve(topic: string, alias: number | undefined): string | ProtocolError {
    if (alias === undefined) return topic;
    if (alias === 0 || alias > this.maximum) {
      // The receiver accepts only 1..its own maximum ([MQTT-3.3.2-10] client, [MQTT-3.3.2-12] server).
      return new ProtocolError(`topic alias ${alias} is outside 1..${this.maximum}`, {
        reasonCode: ReasonCode.TOPIC_ALIAS_INVALID,
      });
    }
    if (topic.length > 0) {
      this.topics ??= new Map();
      this.topics.set(alias, topic);
      return topic;
    }
    const known = this.topics?.get(alias);
    if (known === undefined)
      return new ProtocolError(`topic alias ${alias} has no mapping on this connection`);
    return known;
  }

  /** Aliases currently mapped. */
  get size(): number {
    return this.topics?.size ?? 0;
  }
}

/** How to put a topic on the wire: the topic and alias fields of the PUBLISH. */
export interface AliasedTopic {
  topic: string;
  alias?: number;
}

/**
 * Outbound Topic Alias assignment of one connection with a bounded LRU: the most
 * recently used topics keep their alias; a new topic takes a free alias or the
 * least recently used one. Never more than the peer's Topic Alias Maximum
 * ([MQTT-3.3.2-9] client, [MQTT-3.3.2-11] server), never alias 0 [MQTT-3.3.2-8].
 */
export class OutboundTopicAliases {
  /** topic -> alias, in least-recently-used-first order (Map insertion order). */
  private readonly byTopic = new Map<string, number>();
  private nextAlias = 1;
  /** Aliases given back by `forget` (rare: made on first use). */
  private free: number[] | undefined;
  /** Largest alias this connection uses. */
  readonly limit: number;

  /** @param peerMaximum the peer's Topic Alias Maximum (0 or absent: no aliases [MQTT-3.1.2-27] / [MQTT-3.2.2-18]). */
  constructor(peerMaximum: number, cap: number = DEFAULT_MAX_OUTBOUND_ALIASES) {
    this.limit = Math.max(0, Math.min(peerMaximum, cap));
  }

  /**
   * The topic and alias to send for `topic`: the first PUBLISH of a topic carries
   * topic and alias, later ones an empty topic and the alias.
   */
  assign(topic: string): AliasedTopic {
    if (this.limit === 0) return { topic };
    const known = this.byTopic.get(topic);
    if (known !== undefined) {
      this.byTopic.delete(topic);
      this.byTopic.set(topic, known);
      return { topic: "", alias: known };
    }
    let alias: number;
    const reused = this.free?.pop();
    if (reused !== undefined) {
      alias = reused;
    } else if (this.nextAlias <= this.limit) {
      alias = this.nextAlias++;
    } else {
      const [oldest, oldAlias] = this.byTopic.entries().next().value as [string, number];
      this.byTopic.delete(oldest);
      alias = oldAlias;
    }
    this.byTopic.set(topic, alias);
    return { topic, alias };
  }

  /** Forget `topic` (its PUBLISH carrying the mapping was not sent). */
  forget(topic: string): void {
    const alias = this.byTopic.get(topic);
    if (alias === undefined) return;
    this.byTopic.delete(topic);
    this.free ??= [];
    this.free.push(alias);
  }

  /** Topics currently holding an alias. */
  get size(): number {
    return this.byTopic.size;
  }
}
