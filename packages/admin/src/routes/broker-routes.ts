import { hostname } from "node:os";
import { BROKER_VERSION } from "@amqtt/broker";
import type { BridgeStatusView } from "../bridge-status.js";
import { onNode } from "../cluster-calls.js";
import { ApiError, badRequest } from "../errors.js";
import { readJsonBody, sendJson } from "../http-kit.js";
import { redact } from "../redact.js";
import { clusterTotals } from "./cluster-routes.js";
import { type ApiDeps, clusterScope } from "./deps.js";
import type { Route } from "./router.js";

/** The bridges summed up for `/stats` (each one is at `/bridges`). */
function bridgeTotals(all: readonly BridgeStatusView[]) {
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

/** Broker info, listeners, stats and their history, reload, login. */
export function brokerRoutes(deps: ApiDeps): Route[] {
  const broker = deps.broker;
  return [
    {
      method: "GET",
      pattern: "/api/v1/broker",
      role: "viewer",
      handler: ({ res }) => {
        const startedAt = broker.stats().startedAt;
        sendJson(res, 200, {
          version: BROKER_VERSION,
          nodeId: broker.cluster?.nodeId ?? hostname(),
          startedAt: new Date(startedAt).toISOString(),
          uptimeSeconds: Math.max(0, Math.floor((Date.now() - startedAt) / 1000)),
          config: redact(broker.config),
        });
      },
    },
    {
      method: "GET",
      pattern: "/api/v1/listeners",
      role: "viewer",
      handler: ({ res }) => {
        const items: {
          name: string;
          type: string;
          bind: string;
          tls: boolean;
          connections: number;
          maxConnections: number;
        }[] = broker.context.listeners().map((l) => ({
          name: l.name,
          type: l.type,
          bind: `${l.host}:${l.port}`,
          tls: l.tls,
          connections: l.connections,
          maxConnections: l.maxConnections,
        }));
        const self = deps.self();
        items.push({
          name: self.name,
          type: "http",
          bind: `${self.host}:${self.port}`,
          tls: self.tls,
          connections: self.connections,
          maxConnections: 0,
        });
        sendJson(res, 200, { items });
      },
    },
    {
      method: "GET",
      pattern: "/api/v1/stats",
      role: "viewer",
      handler: async ({ res, query }) => {
        const view = clusterScope(deps, query);
        if (view !== undefined) {
          // The sum over the nodes' latest snapshots (this node's taken now).
          const t = clusterTotals(await onNode("engine", () => view.nodes()));
          const c = t.counters;
          sendJson(res, 200, {
            scope: "cluster",
            nodes: t.nodes,
            missingNodes: t.missingNodes,
            connections: { current: c.clientsConnected, total: c.clientsTotal },
            messages: { in: c.publishReceived, out: c.publishSent, dropped: c.messagesDropped },
            bytes: { in: c.bytesReceived, out: c.bytesSent },
            subscriptions: c.subscriptions,
            retained: { count: c.retainedCount, bytes: c.retainedBytes },
            sessions: { online: c.sessionsOnline, offline: c.sessionsOffline },
            memory: { rss: c.rss, heapUsed: c.heapUsed },
            cpu: { user: c.cpuUser, system: c.cpuSystem },
            eventLoopLagMs: deps.history.eventLoopLagMs,
            bridges: t.bridges,
          });
          return;
        }
        const s = broker.stats();
        const m = broker.context.metrics();
        const memory = process.memoryUsage();
        const cpu = process.cpuUsage();
        sendJson(res, 200, {
          scope: "node",
          nodes: 1,
          missingNodes: [],
          connections: { current: s.clientsConnected, total: s.clientsTotal },
          messages: { in: s.publishReceived, out: s.publishSent, dropped: s.messagesDropped },
          bytes: { in: s.bytesReceived, out: s.bytesSent },
          subscriptions: s.subscriptionsCount,
          retained: { count: s.retainedCount, bytes: m.retainedBytes },
          sessions: { online: m.sessionsOnline, offline: m.sessionsOffline },
          memory: { rss: memory.rss, heapUsed: memory.heapUsed },
          cpu: { user: cpu.user, system: cpu.system },
          eventLoopLagMs: deps.history.eventLoopLagMs,
          bridges: bridgeTotals(deps.bridges?.status() ?? []),
        });
      },
    },
    {
      method: "GET",
      pattern: "/api/v1/stats/history",
      role: "viewer",
      handler: ({ res }) => {
        sendJson(res, 200, { intervalMs: deps.history.intervalMs, samples: deps.history.samples() });
      },
    },
    {
      method: "POST",
      pattern: "/api/v1/reload",
      role: "admin",
      handler: async ({ res, principal }) => {
        // What SIGHUP does: the broker's certificates, plugin files and safe settings, then the admin's own credentials.
        const report = await broker.reload();
        await deps.credentials.load();
        deps.logger.info("admin API: reload", { by: principal.name });
        sendJson(res, 200, report ?? {});
      },
    },
  ];
}

/** `POST /api/v1/auth/login`: a session token for a user of the password file; failures are rate-limited per address. */
export function loginRoute(deps: ApiDeps): Route {
  return {
    method: "POST",
    pattern: "/api/v1/auth/login",
    // Anyone may try; the handler checks the password.
    role: "viewer",
    public: true,
    handler: async ({ req, res }) => {
      const address = req.socket.remoteAddress ?? "unknown";
      const wait = deps.limiter.blockedFor(address);
      if (wait > 0) {
        deps.authFailed();
        res.setHeader("retry-after", String(Math.ceil(wait / 1000)));
        throw new ApiError("too_many_requests", "too many failed logins from this address; try again later");
      }
      const body = await readJsonBody(req, 16 * 1024);
      const { username, password } = body;
      if (typeof username !== "string" || username === "")
        throw badRequest("username", "username is required");
      if (typeof password !== "string") throw badRequest("password", "password is required");
      const role = await deps.credentials.verifyUser(username, password);
      if (role === undefined) {
        deps.limiter.failed(address);
        deps.authFailed();
        // The user name is logged, never the password.
        deps.logger.warn("admin API: failed login", { username, address });
        throw new ApiError("unauthorized", "wrong user name or password");
      }
      deps.limiter.succeeded(address);
      const session = deps.credentials.startSession(username, role);
      deps.logger.info("admin API: login", { username, role, address });
      sendJson(res, 200, {
        token: session.token,
        role,
        expiresAt: new Date(session.expiresAt).toISOString(),
      });
    },
  };
}
