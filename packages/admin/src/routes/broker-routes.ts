import { hostname } from "node:os";
import { BROKER_VERSION, nodeCounters } from "@amqtt/broker";
import { onNode } from "../cluster-calls.js";
import { ApiError, badRequest } from "../errors.js";
import { readJsonBody, sendJson } from "../http-kit.js";
import { redact } from "../redact.js";
import { clusterTotals } from "./cluster-routes.js";
import { type ApiDeps, clusterScope } from "./deps.js";
import type { Route } from "./router.js";
import { bridgeTotals, listenerRow, statsBody } from "./stats-body.js";

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
        const items = broker.context.listeners().map(listenerRow);
        const self = deps.self();
        items.push(listenerRow({ ...self, type: "http", maxConnections: 0 }));
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
          const where = { scope: "cluster", nodes: t.nodes, missingNodes: t.missingNodes } as const;
          sendJson(res, 200, statsBody(where, t.counters, deps.history.eventLoopLagMs, t.bridges));
          return;
        }
        const figures = nodeCounters(broker.stats(), broker.context.metrics());
        const where = { scope: "node", nodes: 1, missingNodes: [] } as const;
        const bridges = bridgeTotals(deps.bridges?.status() ?? []);
        sendJson(res, 200, statsBody(where, figures, deps.history.eventLoopLagMs, bridges));
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
