import { hostname } from "node:os";
import type { BrokerContext, BrokerMetrics, ListenerInfo } from "../plugins/context-types.js";
import type { BrokerStats } from "../plugins/types.js";

// What each node of a cluster tells the others about itself, on an interval:
// enough for an admin API on any node to show the whole cluster (the Nodes
// panel, `/stats?scope=cluster`) without asking every node per request.

/** Most listeners and bridges one snapshot lists (the rest are counted, not listed). */
export const MAX_SNAPSHOT_ENTRIES = 64;
/** Longest `lastError` of a bridge a snapshot carries, in characters. */
export const MAX_ERROR_TEXT = 256;

/** A bridge's state as a snapshot carries it. */
export interface NodeBridgeStatus {
  name: string;
  connected: boolean;
  queued: number;
  dropped: number;
  lastError: string | null;
}

/** The counters of one node that add up across a cluster. */
export interface NodeCounters {
  clientsConnected: number;
  clientsTotal: number;
  publishReceived: number;
  publishSent: number;
  messagesDropped: number;
  bytesReceived: number;
  bytesSent: number;
  subscriptions: number;
  sessionsOnline: number;
  sessionsOffline: number;
  /** Retained messages: replicated to every node, so the cluster's count is any node's, not the sum. */
  retainedCount: number;
  retainedBytes: number;
  rss: number;
  heapUsed: number;
  cpuUser: number;
  cpuSystem: number;
}

/** One node's status, as it last published it. */
export interface NodeStatusSnapshot {
  nodeId: string;
  version: string;
  host: string;
  pid: number;
  /** Wall-clock ms when the broker started. */
  startedAt: number;
  /** Wall-clock ms when the snapshot was taken. */
  takenAt: number;
  uptimeSeconds: number;
  engine: "up" | "down";
  counters: NodeCounters;
  listeners: ListenerInfo[];
  /** Listeners beyond {@link MAX_SNAPSHOT_ENTRIES}, not listed. */
  moreListeners: number;
  bridges: NodeBridgeStatus[];
  /** Bridges beyond {@link MAX_SNAPSHOT_ENTRIES}, not listed. */
  moreBridges: number;
}

/** Where a snapshot's figures come from. */
export interface SnapshotSources {
  nodeId: string;
  version: string;
  context: BrokerContext;
  stats(): BrokerStats;
  engine(): "up" | "down";
  /** Bridges running in this process (none: an empty list). */
  bridges(): readonly NodeBridgeStatus[];
}

/** This process's counters now, from the broker's stats and metrics (the shape `/stats` and snapshots share). */
export function nodeCounters(s: BrokerStats, m: BrokerMetrics): NodeCounters {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    clientsConnected: s.clientsConnected,
    clientsTotal: s.clientsTotal,
    publishReceived: s.publishReceived,
    publishSent: s.publishSent,
    messagesDropped: s.messagesDropped,
    bytesReceived: s.bytesReceived,
    bytesSent: s.bytesSent,
    subscriptions: s.subscriptionsCount,
    sessionsOnline: m.sessionsOnline,
    sessionsOffline: m.sessionsOffline,
    retainedCount: s.retainedCount,
    retainedBytes: m.retainedBytes,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    cpuUser: cpu.user,
    cpuSystem: cpu.system,
  };
}

/** A snapshot of this node now. */
export function takeSnapshot(sources: SnapshotSources, now = Date.now()): NodeStatusSnapshot {
  const s = sources.stats();
  const listeners = sources.context.listeners();
  const bridges = sources.bridges();
  return {
    nodeId: sources.nodeId,
    version: sources.version,
    host: hostname(),
    pid: process.pid,
    startedAt: s.startedAt,
    takenAt: now,
    uptimeSeconds: Math.max(0, Math.floor((now - s.startedAt) / 1000)),
    engine: sources.engine(),
    counters: nodeCounters(s, sources.context.metrics()),
    listeners: listeners.slice(0, MAX_SNAPSHOT_ENTRIES),
    moreListeners: Math.max(0, listeners.length - MAX_SNAPSHOT_ENTRIES),
    bridges: bridges.slice(0, MAX_SNAPSHOT_ENTRIES).map((b) => ({
      name: b.name,
      connected: b.connected,
      queued: b.queued,
      dropped: b.dropped,
      lastError: b.lastError === null ? null : b.lastError.slice(0, MAX_ERROR_TEXT),
    })),
    moreBridges: Math.max(0, bridges.length - MAX_SNAPSHOT_ENTRIES),
  };
}

/** The counters of several nodes added up (retained: the largest, since every node holds the cluster's). */
export function sumCounters(all: readonly NodeCounters[]): NodeCounters {
  const total: NodeCounters = {
    clientsConnected: 0,
    clientsTotal: 0,
    publishReceived: 0,
    publishSent: 0,
    messagesDropped: 0,
    bytesReceived: 0,
    bytesSent: 0,
    subscriptions: 0,
    sessionsOnline: 0,
    sessionsOffline: 0,
    retainedCount: 0,
    retainedBytes: 0,
    rss: 0,
    heapUsed: 0,
    cpuUser: 0,
    cpuSystem: 0,
  };
  for (const c of all)
    for (const key of Object.keys(total) as (keyof NodeCounters)[])
      total[key] =
        key === "retainedCount" || key === "retainedBytes"
          ? Math.max(total[key], c[key])
          : total[key] + c[key];
  return total;
}
