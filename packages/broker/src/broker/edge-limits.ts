import { ReasonCode } from "@amqtt/codec";
import type { PublishRequestAction } from "@amqtt/session";
import type { Connection } from "@amqtt/transport";
import { listenerConnectionRate, type RateLimits } from "../config/edge.js";
import type { ResolvedListener } from "../config/resolve.js";
import type { BrokerConnection } from "../core/session-state.js";
import type { Clock } from "../core/timers.js";
import { TokenBucket } from "../core/token-bucket.js";
import type { Logger } from "../logger.js";
import type { BrokerStats } from "../plugins/types.js";

/** How often, at most, the message memory in use is summed over the connections (ms). */
const MEMORY_SAMPLE_MS = 20;

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
  private memorySampledAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly host: EdgeLimitsHost,
    private readonly limits: RateLimits,
    listeners: readonly ResolvedListener[],
  ) {
    const now = host.clock.now();
    for (const l of listeners) {
      const r = listenerConnectionRate(l.edge);
      if (r !== undefined) this.connectionBuckets.set(l.name, new TokenBucket(r.rate, r.burst, now));
    }
  }

  /**
   * A new connection on `listener`: false (and the connection aborted) when the
   * listener is over its `max_connection_rate`. The client sees its connection
   * close before any CONNACK and retries later.
   */
  admitConnection(connection: Connection, listener: string): boolean {
    const bucket = this.connectionBuckets.get(listener);
    if (bucket === undefined || bucket.take(1, this.host.clock.now())) return true;
    // A refused connection costs no debt: the bucket's tokens are not taken twice.
    bucket.take(-1, this.host.clock.now());
    this.host.counters.connectionsRateLimited++;
    connection.abort();
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
   * taken and its socket left unread until it is back under its rate. Over the
   * memory budget a QoS 0 message is dropped and counted; QoS 1/2 go on
   * (bounded per session), so nothing acknowledged is lost to the budget.
   */
  admitPublish(conn: BrokerConnection, request: PublishRequestAction): boolean {
    const now = this.host.clock.now();
    const buckets = this.bucketsOf(conn, now);
    let over = false;
    if (buckets.messages !== undefined && !buckets.messages.take(1, now)) over = true;
    if (
      buckets.bytes !== undefined &&
      !buckets.bytes.take(request.topic.length + request.payload.length, now)
    )
      over = true;
    if (over) {
      const counters = this.host.counters;
      if (conn.protocolVersion === 5 && this.limits.v5 === "disconnect") {
        counters.rateLimitDisconnects++;
        this.host.logger.info("disconnecting a client over its message rate", {
          clientId: conn.info.clientId,
        });
        conn.disconnect(ReasonCode.MESSAGE_RATE_TOO_HIGH);
        return false;
      }
      counters.publishThrottled++;
      conn.holdReading(Math.max(buckets.messages?.waitMs() ?? 0, buckets.bytes?.waitMs() ?? 0));
    }
    if (
      request.qos === 0 &&
      this.limits.maxMessageMemory > 0 &&
      this.memory(now) > this.limits.maxMessageMemory
    ) {
      this.host.counters.memoryBudgetDrops++;
      this.host.dropped(
        conn.info.clientId,
        request.topic,
        "the broker's message memory budget is spent (max_message_memory)",
      );
      conn.inOrder(() => {
        conn.apply(
          conn.session.answerPublish(request.requestId, ReasonCode.QUOTA_EXCEEDED, this.host.clock.now()),
        );
      });
      return false;
    }
    return true;
  }

  /** Bytes held for messages: queued behind in-flight windows plus unwritten in transports (sampled). */
  memory(now: number): number {
    if (now - this.memorySampledAt < MEMORY_SAMPLE_MS) return this.memoryInUse;
    let total = 0;
    for (const c of this.host.connections) total += c.session.queuedBytes + c.transport.bufferedBytes;
    this.memoryInUse = total;
    this.memorySampledAt = now;
    return total;
  }

  private bucketsOf(conn: BrokerConnection, now: number): ClientBuckets {
    let buckets = this.clients.get(conn);
    if (buckets === undefined) {
      const { messageRate, byteRate } = this.limits;
      buckets = {
        messages:
          messageRate === undefined ? undefined : new TokenBucket(messageRate.rate, messageRate.burst, now),
        bytes: byteRate === undefined ? undefined : new TokenBucket(byteRate.rate, byteRate.burst, now),
      };
      this.clients.set(conn, buckets);
    }
    return buckets;
  }
}
