import type { Broker, BrokerMetrics, BrokerStats, LatencySnapshot } from "@amqtt/broker";
import { collectDefaultMetrics, Registry } from "prom-client";
import type { BridgeStatusSource, BridgeStatusView } from "./bridge-status.js";

/** One sample of a metric: label values and the value. */
type Sample = { labels?: Record<string, string | number>; value: number; metricName?: string };

/**
 * A metric read from the broker at scrape time, in prom-client's metric shape
 * (`get()`), so its registry formats it next to the default process metrics.
 * Nothing is counted twice: the broker keeps the numbers, this only reads them.
 */
class SnapshotMetric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
    private readonly read: () => Sample[],
  ) {}

  get(): { name: string; help: string; type: string; values: Sample[]; aggregator: "sum" } {
    return { name: this.name, help: this.help, type: this.type, values: this.read(), aggregator: "sum" };
  }
}

/** The cumulative buckets, `_sum` and `_count` samples of a latency snapshot. */
function histogramSamples(name: string, h: LatencySnapshot): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  h.bounds.forEach((bound, i) => {
    cumulative += h.counts[i] ?? 0;
    out.push({ metricName: `${name}_bucket`, labels: { le: bound }, value: cumulative });
  });
  out.push({ metricName: `${name}_bucket`, labels: { le: "+Inf" }, value: h.count });
  out.push({ metricName: `${name}_sum`, value: h.sum });
  out.push({ metricName: `${name}_count`, value: h.count });
  return out;
}

const byQos = (values: readonly number[]): Sample[] =>
  values.map((value, qos) => ({ labels: { qos }, value }));

/** Counters of the admin listener itself, read into `/metrics`. */
export interface AdminCounters {
  /** Requests refused for missing or wrong credentials (401) or rate limiting (429). */
  authFailures: number;
  /** Live viewer frames not sent because a viewer's buffer was full. */
  liveDropped: number;
}

/**
 * The Prometheus registry of one admin listener: the broker's counters and
 * gauges, read from `broker.context` at each scrape (one `stats()` and one
 * `metrics()` call per scrape, not per metric), plus prom-client's default
 * process metrics (event-loop lag, heap, RSS, GC, CPU).
 */
export function brokerRegistry(
  broker: Broker,
  admin: AdminCounters,
  bridges?: BridgeStatusSource,
): BrokerRegistry {
  const registry = new Registry();
  // A cluster node labels every series with its node id: each node (each --workers
  // worker) is one scrape target, and its series stay apart when Prometheus sums them.
  if (broker.cluster !== undefined) registry.setDefaultLabels({ node: broker.cluster.nodeId });
  collectDefaultMetrics({ register: registry });
  // One snapshot per scrape: the first metric read takes it, the rest reuse it.
  let cached:
    | { stats: BrokerStats; metrics: BrokerMetrics; bridges: readonly BridgeStatusView[] }
    | undefined;
  const snap = () => {
    cached ??= {
      stats: broker.context.stats(),
      metrics: broker.context.metrics(),
      bridges: bridges?.status() ?? [],
    };
    return cached;
  };
  const perBridge = (read: (b: BridgeStatusView) => number): Sample[] =>
    snap().bridges.map((b) => ({ labels: { bridge: b.name }, value: read(b) }));
  const s = () => snap().stats;
  const m = () => snap().metrics;
  const one = (value: number): Sample[] => [{ value }];
  const metrics: SnapshotMetric[] = [
    new SnapshotMetric(
      "amqtt_connections",
      "Connected MQTT clients by listener and protocol version.",
      "gauge",
      () =>
        m().connectionsByListener.map((r) => ({
          labels: { listener: r.listener, protocol_version: r.protocolVersion },
          value: r.count,
        })),
    ),
    new SnapshotMetric("amqtt_connections_total", "MQTT connections accepted since start.", "counter", () =>
      one(s().clientsTotal),
    ),
    new SnapshotMetric("amqtt_disconnections_total", "MQTT connections ended since start.", "counter", () =>
      one(s().clientsDisconnected),
    ),
    new SnapshotMetric(
      "amqtt_connections_maximum",
      "Most MQTT clients connected at once since start.",
      "gauge",
      () => one(s().clientsMaximum),
    ),
    new SnapshotMetric("amqtt_messages_received_total", "PUBLISH packets received, by QoS.", "counter", () =>
      byQos(m().publishReceivedByQos),
    ),
    new SnapshotMetric("amqtt_messages_sent_total", "PUBLISH packets sent, by QoS.", "counter", () =>
      byQos(m().publishSentByQos),
    ),
    new SnapshotMetric(
      "amqtt_payload_received_bytes_total",
      "Payload bytes of the PUBLISH packets received, by QoS.",
      "counter",
      () => byQos(m().payloadBytesReceivedByQos),
    ),
    new SnapshotMetric(
      "amqtt_payload_sent_bytes_total",
      "Payload bytes of the PUBLISH packets sent, by QoS.",
      "counter",
      () => byQos(m().payloadBytesSentByQos),
    ),
    new SnapshotMetric("amqtt_packets_received_total", "MQTT packets received.", "counter", () =>
      one(s().messagesReceived),
    ),
    new SnapshotMetric("amqtt_packets_sent_total", "MQTT packets sent.", "counter", () =>
      one(s().messagesSent),
    ),
    new SnapshotMetric(
      "amqtt_received_bytes_total",
      "Bytes received (PUBLISH payloads and other packets).",
      "counter",
      () => one(s().bytesReceived),
    ),
    new SnapshotMetric("amqtt_sent_bytes_total", "Bytes sent in MQTT packets.", "counter", () =>
      one(s().bytesSent),
    ),
    new SnapshotMetric(
      "amqtt_messages_dropped_total",
      "Messages dropped by a bound, by reason.",
      "counter",
      () => Object.entries(m().droppedByReason).map(([reason, value]) => ({ labels: { reason }, value })),
    ),
    new SnapshotMetric(
      "amqtt_queued_messages",
      "Messages waiting in offline sessions' queues.",
      "gauge",
      () => one(s().storedMessages),
    ),
    new SnapshotMetric(
      "amqtt_queued_bytes",
      "Bytes of queued messages: online (behind connected clients' in-flight windows) and offline (sessions' queues in the store).",
      "gauge",
      () => [
        { labels: { state: "online" }, value: m().onlineQueuedBytes },
        { labels: { state: "offline" }, value: m().offlineQueuedBytes },
      ],
    ),
    new SnapshotMetric(
      "amqtt_inflight_messages",
      "QoS 1/2 messages in flight: in (awaiting the broker's answer), out (awaiting the client's ack).",
      "gauge",
      () => [
        { labels: { direction: "in" }, value: s().inflightIn },
        { labels: { direction: "out" }, value: s().inflightOut },
      ],
    ),
    new SnapshotMetric("amqtt_retained_messages", "Retained messages held.", "gauge", () =>
      one(s().retainedCount),
    ),
    new SnapshotMetric("amqtt_retained_bytes", "Bytes of clients' retained messages held.", "gauge", () =>
      one(m().retainedBytes),
    ),
    new SnapshotMetric(
      "amqtt_retained_refused_total",
      "Retained messages refused by the retained bounds.",
      "counter",
      () => one(s().retainedRefused),
    ),
    new SnapshotMetric(
      "amqtt_subscriptions",
      "Subscriptions held (shared group members included).",
      "gauge",
      () => one(s().subscriptionsCount),
    ),
    new SnapshotMetric("amqtt_shared_subscription_groups", "Shared subscription groups.", "gauge", () =>
      one(m().sharedGroups),
    ),
    new SnapshotMetric(
      "amqtt_sessions",
      "Sessions by state (online: connected; offline: persistent, waiting).",
      "gauge",
      () => [
        { labels: { state: "online" }, value: m().sessionsOnline },
        { labels: { state: "offline" }, value: m().sessionsOffline },
      ],
    ),
    new SnapshotMetric("amqtt_auth_failures_total", "CONNECTs refused by authentication.", "counter", () =>
      one(m().authFailures),
    ),
    new SnapshotMetric(
      "amqtt_plugin_hook_timeouts_total",
      "Plugin hook calls that outlived the hook timeout.",
      "counter",
      () => one(m().pluginHookTimeouts),
    ),
    new SnapshotMetric(
      "amqtt_publisher_pauses_total",
      "Times a publisher was paused by publisher backpressure.",
      "counter",
      () => one(s().publisherPauses),
    ),
    new SnapshotMetric(
      "amqtt_ack_timeout_disconnects_total",
      "Clients disconnected for acknowledging nothing for ack_timeout.",
      "counter",
      () => one(s().ackTimeoutDisconnects),
    ),
    new SnapshotMetric(
      "amqtt_routing_duration_seconds",
      "Time to route one message (match and deliver), timed for one message in 64.",
      "histogram",
      () => histogramSamples("amqtt_routing_duration_seconds", m().routingLatency),
    ),
    new SnapshotMetric(
      "amqtt_store_flush_duration_seconds",
      "Time a durable acknowledgement waited for the store's flush.",
      "histogram",
      () => histogramSamples("amqtt_store_flush_duration_seconds", m().storeFlushLatency),
    ),
    new SnapshotMetric("amqtt_uptime_seconds", "Seconds since the broker started.", "gauge", () =>
      one(Math.max(0, (Date.now() - s().startedAt) / 1000)),
    ),
    new SnapshotMetric(
      "amqtt_bridge_connected",
      "1 while the bridge is connected to its remote, else 0.",
      "gauge",
      () => perBridge((b) => (b.connected ? 1 : 0)),
    ),
    new SnapshotMetric(
      "amqtt_bridge_queued_messages",
      "Outbound bridge messages waiting for the remote (in flight included).",
      "gauge",
      () => perBridge((b) => b.queued),
    ),
    new SnapshotMetric(
      "amqtt_bridge_queued_bytes",
      "Bytes of the outbound bridge messages waiting for the remote.",
      "gauge",
      () => perBridge((b) => b.queuedBytes),
    ),
    new SnapshotMetric(
      "amqtt_bridge_messages_total",
      "Messages a bridge carried: in (remote to local), out (local to remote).",
      "counter",
      () =>
        snap().bridges.flatMap((b) => [
          { labels: { bridge: b.name, direction: "in" }, value: b.messagesIn },
          { labels: { bridge: b.name, direction: "out" }, value: b.messagesOut },
        ]),
    ),
    new SnapshotMetric(
      "amqtt_bridge_dropped_total",
      "Outbound bridge messages refused by the queue's bounds.",
      "counter",
      () => perBridge((b) => b.dropped),
    ),
    new SnapshotMetric(
      "amqtt_bridge_connects_total",
      "Successful connections of a bridge to its remote.",
      "counter",
      () => perBridge((b) => b.connects),
    ),
    new SnapshotMetric(
      "amqtt_admin_auth_failures_total",
      "Admin API requests refused for credentials or rate limiting.",
      "counter",
      () => one(admin.authFailures),
    ),
    new SnapshotMetric(
      "amqtt_admin_live_dropped_total",
      "Live topic viewer frames dropped because a viewer's buffer was full.",
      "counter",
      () => one(admin.liveDropped),
    ),
  ];
  // prom-client's registry takes any object with `name`, `type` and `get()`.
  for (const metric of metrics) registry.registerMetric(metric as never);
  return {
    registry,
    contentType: registry.contentType,
    metrics: async () => {
      cached = undefined;
      try {
        return await registry.metrics();
      } finally {
        cached = undefined;
      }
    },
  };
}

/** The registry of one admin listener and its scrape. */
export interface BrokerRegistry {
  readonly registry: Registry;
  /** The exposition format's content type. */
  readonly contentType: string;
  /** One scrape: the text exposition of every metric, from one snapshot of the broker. */
  metrics(): Promise<string>;
}
