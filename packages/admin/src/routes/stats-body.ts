import type { NodeCounters } from "@amqtt/broker";
import type { BridgeStatusView } from "../bridge-status.js";

/** The bridges summed up for `/stats` (each one is at `/bridges`). */
export interface BridgeTotals {
  total: number;
  connected: number;
  queued: number;
  dropped: number;
}

/** Sum bridge statuses into {@link BridgeTotals}. */
export function bridgeTotals(
  all: readonly Pick<BridgeStatusView, "connected" | "queued" | "dropped">[],
): BridgeTotals {
  let connected = 0;
  let queued = 0;
  let dropped = 0;
  for (const b of all) {
    if (b.connected) connected++;
    queued += b.queued;
    dropped += b.dropped;
  }
  return { total: all.length, connected, queued, dropped };
}

/** Where the figures of a `/stats` answer come from. */
export interface StatsScope {
  scope: "node" | "cluster";
  nodes: number;
  missingNodes: readonly string[];
}

/** The JSON body of `GET /api/v1/stats` (documented in `openapi.yaml`). */
export function statsBody(where: StatsScope, f: NodeCounters, eventLoopLagMs: number, bridges: BridgeTotals) {
  return {
    scope: where.scope,
    nodes: where.nodes,
    missingNodes: where.missingNodes,
    connections: { current: f.clientsConnected, total: f.clientsTotal },
    messages: { in: f.publishReceived, out: f.publishSent, dropped: f.messagesDropped },
    bytes: { in: f.bytesReceived, out: f.bytesSent },
    subscriptions: f.subscriptions,
    retained: { count: f.retainedCount, bytes: f.retainedBytes },
    sessions: { online: f.sessionsOnline, offline: f.sessionsOffline },
    memory: { rss: f.rss, heapUsed: f.heapUsed },
    cpu: { user: f.cpuUser, system: f.cpuSystem },
    eventLoopLagMs,
    bridges,
  };
}

/** A listener as `/api/v1/listeners` and `/api/v1/cluster/nodes` show it. */
export function listenerRow(l: {
  name: string;
  type: string;
  host: string;
  port: number;
  tls: boolean;
  connections: number;
  maxConnections: number;
}) {
  return {
    name: l.name,
    type: l.type,
    bind: `${l.host}:${l.port}`,
    tls: l.tls,
    connections: l.connections,
    maxConnections: l.maxConnections,
  };
}
