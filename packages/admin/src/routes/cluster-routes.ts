import { type ClusterNodeView, type NodeStatusSnapshot, sumCounters } from "@amqtt/broker";
import { onNode } from "../cluster-calls.js";
import { sendJson } from "../http-kit.js";
import { redact } from "../redact.js";
import type { ApiDeps } from "./deps.js";
import type { Route } from "./router.js";
import { bridgeTotals, listenerRow } from "./stats-body.js";

const iso = (ms: number) => new Date(ms).toISOString();

/** A node's snapshot as `/api/v1/cluster/nodes` shows it. */
function statusView(s: NodeStatusSnapshot, now: number) {
  return {
    version: s.version,
    host: s.host,
    pid: s.pid,
    startedAt: iso(s.startedAt),
    takenAt: iso(s.takenAt),
    ageMs: Math.max(0, now - s.takenAt),
    uptimeSeconds: s.uptimeSeconds,
    engine: s.engine,
    counters: s.counters,
    listeners: s.listeners.map(listenerRow),
    moreListeners: s.moreListeners,
    bridges: s.bridges.map((b) => ({
      ...b,
      lastError: b.lastError === null ? null : (redact(b.lastError) as string),
    })),
    moreBridges: s.moreBridges,
  };
}

/** One live node as `/api/v1/cluster/nodes` shows it. */
export function nodeView(n: ClusterNodeView, now = Date.now()) {
  return {
    nodeId: n.nodeId,
    self: n.self,
    joinedAt: iso(n.joinedAt),
    leaseExpiresAt: iso(n.leaseExpiresAt),
    leaseRemainingMs: Math.max(0, n.leaseExpiresAt - now),
    status: n.status === undefined ? null : statusView(n.status, now),
  };
}

/** `/api/v1/cluster/nodes`: every live node of the cluster with its lease and last status snapshot. */
export function clusterRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: "GET",
      pattern: "/api/v1/cluster/nodes",
      role: "viewer",
      handler: async ({ res }) => {
        const view = deps.broker.cluster;
        if (view === undefined) {
          sendJson(res, 200, { clustered: false, nodeId: null, items: [] });
          return;
        }
        const nodes = await onNode("engine", () => view.nodes());
        const now = Date.now();
        sendJson(res, 200, {
          clustered: true,
          nodeId: view.nodeId,
          statusIntervalMs: view.settings.statusIntervalMs,
          items: nodes.map((n) => nodeView(n, now)),
        });
      },
    },
  ];
}

/**
 * The cluster's counters for `/stats?scope=cluster`: the sum over the live
 * nodes' latest snapshots (this node's taken now), and the nodes without one.
 */
export function clusterTotals(nodes: readonly ClusterNodeView[]) {
  const reporting = nodes.filter((n) => n.status !== undefined).map((n) => n.status!);
  const bridges = reporting.flatMap((s) => s.bridges);
  return {
    counters: sumCounters(reporting.map((s) => s.counters)),
    bridges: bridgeTotals(bridges),
    nodes: nodes.length,
    missingNodes: nodes.filter((n) => n.status === undefined).map((n) => n.nodeId),
  };
}
