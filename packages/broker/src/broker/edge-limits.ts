import { ReasonCode } from "@amqtt/codec";
import type { MessageAction, PublishRequestAction } from "@amqtt/session";
import type { Connection } from "@amqtt/transport";
import { listenerConnectionRate, type RateLimits } from "../config/edge.js";
import type { ResolvedListener } from "../config/resolve.js";
import type { BrokerConnection } from "../core/session-state.js";
import type { Clock } from "../core/timers.js";
import { TokenBucket } from "../core/token-bucket.js";
import type { Logger } from "../logger.js";
import type { BrokerStats } from "../plugins/types.js";

/** QoS 0 messages routed between two sums of the message memory (while under half the budget). */
const MEMORY_SAMPLE_MESSAGES = 256;

/** What the limits need from the broker. */
export interface EdgeLimitsHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly counters: BrokerStats;
  readonly connections: ReadonlySet<BrokerConnection>;
  /** Report a message dropped by a bound (counted, logged, emitted). */
  dropped(clientId: string, topic: string, reason: string): void;
}

/** One client's inbound buckets. */
interface ClientBuckets {
  messages: TokenBucket | undefined;
  bytes: TokenBucket | undefined;
  /** Disconnected for its rate: the rest of what it sent in the same read is not routed. */
  disconnected: boolean;
}

/**
 * The broker's rate limits and caps (issue 17): new connections per second per
 * listener, clients at once, inbound messages and bytes per second per client,
 * and the memory budget of queued and unwritten messages. Every limit counts
 * what it did in the broker's stats (`$SYS/broker/limits/...`).
 */
export class EdgeLimits {
  private readonly connectionBuckets = new Map<string, TokenBucket>();
  private readonly clients = new WeakMap<BrokerConnection, ClientBuckets>();
  private memoryInUse = 0;
  /** QoS 0 messages and their bytes routed since the memory was last summed. */
  private routedSinceSample = MEMORY_SAMPLE_MESSAGES;
  private bytesSinceSample = 0;

  constructor(
    private readonly host: EdgeLimitsHost,
    private readonly limits: RateLimits,
    listeners: readonly ResolvedListener[],
  ) {
    for (const l of listeners) {
      const r = listenerConnectionRate(l.edge);
      if (r !== undefined) this.connectionBuckets.set(l.name, new TokenBucket(r.rate, r.burst, host.clock));
    }
  }

  /**
   * The check a network listener runs for its `max_connection_rate` when it
   * accepts a socket, before a PROXY header is read, a TLS handshake runs or a
   * WebSocket upgrade is answered (the transport's `admit`), so a refused client
   * costs no handshake. `undefined` when the listener has no rate. Connections
   * a gate admitted are served without {@link admitConnection}.
   */
  acceptGate(listener: string): (() => boolean) | undefined {
    const bucket = this.connectionBuckets.get(listener);
    if (bucket === undefined) return undefined;
    return () => this.takeConnection(bucket);
  }

  /**
   * A new connection on `listener`: false (and the connection aborted) when the
   * listener is over its `max_connection_rate`. The client sees its connection
   * close before any CONNACK and retries later. (Connections of `Broker.handle`;
   * the broker's own listeners check at accept, {@link acceptGate}.)
   */
  admitConnection(connection: Connection, listener: string): boolean {
    const bucket = this.connectionBuckets.get(listener);
    if (bucket === undefined || this.takeConnection(bucket)) return true;
    connection.abort();
    return false;
  }

  private takeConnection(bucket: TokenBucket): boolean {
    if (bucket.take(1)) return true;
    // A refused connection runs up no debt: a client retrying at any pace gets in once the rate allows.
    bucket.refund(1);
    this.host.counters.connectionsRateLimited++;
    return false;
  }

  /**
   * Refuse a CONNECT when `max_clients` are connected: CONNACK 0x89 Server busy
   * (5.0), return code 3 Server unavailable (3.1.1). True when refused.
   */
  refuseConnect(conn: BrokerConnection): boolean {
    const max = this.limits.maxClients;
    if (max === 0 || this.host.counters.clientsConnected < max) return false;
    this.host.counters.clientsRefusedBusy++;
    conn.apply(conn.session.refuse(ReasonCode.SERVER_BUSY, this.host.clock.now()));
    return true;
  }

  /**
   * An inbound PUBLISH: false when it must not be routed. Over its rate a 5.0
   * client gets DISCONNECT 0x96 Message rate too high (unless `rate_limit_v5:
   * throttle`); a 3.1.1 client (which has no such answer) has its message
   * taken and its socket left unread until it is back under its rate.
   */
  admitPublish(conn: BrokerConnection, request: PublishRequestAction): boolean {
    if (this.limits.messageRate === undefined && this.limits.byteRate === undefined) return true;
    const buckets = this.bucketsOf(conn);
    if (buckets.disconnected) return false;
    let over = false;
    if (buckets.messages !== undefined && !buckets.messages.take(1)) over = true;
    if (buckets.bytes !== undefined && !buckets.bytes.take(request.topic.length + request.payload.length))
      over = true;
    if (over) {
      const counters = this.host.counters;
      if (conn.protocolVersion === 5 && this.limits.v5 === "disconnect") {
        counters.rateLimitDisconnects++;
        buckets.disconnected = true;
        this.host.logger.info("disconnecting a client over its message rate", {
          clientId: conn.info.clientId,
        });
        conn.disconnect(ReasonCode.MESSAGE_RATE_TOO_HIGH);
        return false;
      }
      counters.publishThrottled++;
      conn.holdReading(Math.max(buckets.messages?.waitMs() ?? 0, buckets.bytes?.waitMs() ?? 0));
    }
    return true;
  }

  /**
   * A QoS 0 message about to be routed: true (dropped and counted) when the
   * messages held in memory are over `max_message_memory`. Checked at routing,
   * not on arrival, so messages waiting for their turn cannot overshoot the
   * budget together. QoS 1/2 messages go on (each session bounds its own
   * queue): nothing acknowledged is lost to the budget.
   */
  dropForMemory(conn: BrokerConnection, message: MessageAction): boolean {
    if (message.qos !== 0 || this.limits.maxMessageMemory === 0) return false;
    if (this.sampledMemory(message.topic.length + message.payload.length) <= this.limits.maxMessageMemory)
      return false;
    this.host.counters.memoryBudgetDrops++;
    this.host.dropped(
      conn.info.clientId,
      message.topic,
      "the broker's message memory budget is spent (max_message_memory)",
    );
    return true;
  }

  /**
   * Bytes held for messages now: queued behind in-flight windows plus unwritten
   * in transports, summed over the connections.
   */
  memory(): number {
    let total = 0;
    for (const c of this.host.connections) total += c.session.queuedBytes + c.outputHeldBytes;
    this.memoryInUse = total;
    this.routedSinceSample = 0;
    this.bytesSinceSample = 0;
    return total;
  }

  /**
   * {@link EdgeLimits.memory} as of a recent sum, for the routing of a message
   * of `bytes`: summed again after 256 messages or budget/16 bytes while under
   * half the budget, and for every message above it. Only routed messages add
   * to what is held, so counting them needs no clock; a fan-out of F copies
   * overshoots the budget by max(0, F x budget/16 - budget/2) plus one message.
   */
  private sampledMemory(bytes: number): number {
    const budget = this.limits.maxMessageMemory;
    this.routedSinceSample++;
    this.bytesSinceSample += bytes;
    if (
      this.memoryInUse > budget / 2 ||
      this.routedSinceSample >= MEMORY_SAMPLE_MESSAGES ||
      this.bytesSinceSample >= budget / 16
    )
      return this.memory();
    return this.memoryInUse;
  }

  private bucketsOf(conn: BrokerConnection): ClientBuckets {
    let buckets = this.clients.get(conn);
    if (buckets === undefined) {
      const { messageRate, byteRate } = this.limits;
      buckets = {
        messages:
          messageRate === undefined
            ? undefined
            : new TokenBucket(messageRate.rate, messageRate.burst, this.host.clock),
        bytes:
          byteRate === undefined
            ? undefined
            : new TokenBucket(byteRate.rate, byteRate.burst, this.host.clock),
        disconnected: false,
      };
      this.clients.set(conn, buckets);
    }
    return buckets;
  }
}
