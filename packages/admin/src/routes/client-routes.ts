import { InvalidSubscriptionError, isDisconnectReasonName, SessionOnlineError } from "@amqtt/broker";
import { clusterPage, onNode, ownerOf } from "../cluster-calls.js";
import { ApiError, badRequest } from "../errors.js";
import { page, pageParams, readJsonBody, sendJson } from "../http-kit.js";
import { type ApiDeps, clientView, clusterScope, sessionView, subscriptionView } from "./deps.js";
import type { Route } from "./router.js";

/** Clients, sessions and subscriptions (`/api/v1/clients`, `/sessions`, `/subscriptions`). */
export function clientRoutes(deps: ApiDeps): Route[] {
  const context = deps.broker.context;
  const notFound = (clientId: string, what = "client") =>
    new ApiError("not_found", `no ${what} ${JSON.stringify(clientId)}`, "clientId");
  return [
    {
      method: "GET",
      pattern: "/api/v1/clients",
      role: "viewer",
      handler: async ({ res, query }) => {
        const search = query.string("search");
        const protocol = query.oneOf("protocol", ["3", "4", "5"]);
        const listener = query.string("listener");
        const view = clusterScope(deps, query);
        if (view !== undefined) {
          const request = { kind: "clients" as const, search, protocol, listener };
          const result = await clusterPage(view, request, pageParams(query));
          sendJson(res, 200, {
            items: result.items.map((i) => ({ ...clientView(i.session), node: i.node })),
            nextCursor: result.nextCursor,
            missingNodes: result.missingNodes,
          });
          return;
        }
        const needle = search?.toLowerCase();
        const online = context
          .sessions()
          .filter(
            (s) =>
              s.online &&
              (protocol === undefined || String(s.protocolVersion) === protocol) &&
              (listener === undefined || s.listener === listener) &&
              (needle === undefined ||
                s.clientId.toLowerCase().includes(needle) ||
                (s.username ?? "").toLowerCase().includes(needle)),
          );
        const result = page(online, (s) => s.clientId, query);
        const node = deps.broker.cluster?.nodeId ?? null;
        sendJson(res, 200, {
          items: result.items.map((s) => ({ ...clientView(s), node })),
          nextCursor: result.nextCursor,
        });
      },
    },
    {
      method: "GET",
      pattern: "/api/v1/clients/:clientId",
      role: "viewer",
      handler: async ({ res, params }) => {
        const clientId = params.clientId!;
        const local = context.session(clientId);
        const view = deps.broker.cluster;
        if (view !== undefined && (local === undefined || !local.online)) {
          // Connected on another node: the session registry names it, that node answers.
          const owner = await ownerOf(view, clientId, false);
          if (owner === undefined) throw notFound(clientId);
          const remote = await onNode(owner, () => view.ask(owner, { kind: "client", clientId }));
          if (remote === null || !remote.session.online) throw notFound(clientId);
          sendJson(res, 200, {
            ...clientView(remote.session),
            node: owner,
            session: { ...sessionView(remote.session), node: owner },
            subscriptions: remote.subscriptions.map(subscriptionView),
          });
          return;
        }
        if (local === undefined || !local.online) throw notFound(clientId);
        const node = view?.nodeId ?? null;
        sendJson(res, 200, {
          ...clientView(local),
          node,
          session: { ...sessionView(local), node },
          subscriptions: context.subscriptions(clientId).map(subscriptionView),
        });
      },
    },
    {
      method: "DELETE",
      pattern: "/api/v1/clients/:clientId",
      role: "admin",
      handler: async ({ res, params, query, principal }) => {
        const clientId = params.clientId!;
        const reason = query.string("reason") ?? "AdministrativeAction";
        if (!isDisconnectReasonName(reason))
          throw badRequest("reason", "reason is a DISCONNECT reason name such as AdministrativeAction");
        let node = deps.broker.cluster?.nodeId;
        if (!context.disconnect(clientId, reason)) {
          const view = deps.broker.cluster;
          const owner = view === undefined ? undefined : await ownerOf(view, clientId, false);
          // Connected on another node: that node disconnects it (a request through the engine).
          if (view === undefined || owner === undefined) throw notFound(clientId);
          const done = await onNode(owner, () => view.ask(owner, { kind: "disconnect", clientId, reason }));
          if (!done) throw notFound(clientId);
          node = owner;
        }
        deps.logger.info("admin API: client disconnected", {
          clientId,
          reason,
          by: principal.name,
          ...(node === undefined ? {} : { node }),
        });
        res.writeHead(204).end();
      },
    },
    {
      method: "GET",
      pattern: "/api/v1/sessions",
      role: "viewer",
      handler: async ({ res, query }) => {
        const state = query.oneOf("state", ["online", "offline"]);
        const view = clusterScope(deps, query);
        if (view !== undefined) {
          const result = await clusterPage(view, { kind: "sessions", state }, pageParams(query));
          sendJson(res, 200, {
            items: result.items.map((i) => ({ ...sessionView(i.session), node: i.node })),
            nextCursor: result.nextCursor,
            missingNodes: result.missingNodes,
          });
          return;
        }
        const sessions = context
          .sessions()
          .filter((s) => state === undefined || s.online === (state === "online"));
        const result = page(sessions, (s) => s.clientId, query);
        const node = deps.broker.cluster?.nodeId ?? null;
        sendJson(res, 200, {
          items: result.items.map((s) => ({ ...sessionView(s), node })),
          nextCursor: result.nextCursor,
        });
      },
    },
    {
      method: "GET",
      pattern: "/api/v1/sessions/:clientId",
      role: "viewer",
      handler: async ({ res, params }) => {
        const clientId = params.clientId!;
        const s = context.session(clientId);
        const view = deps.broker.cluster;
        if (s === undefined && view !== undefined) {
          const owner = await ownerOf(view, clientId, false);
          const remote =
            owner === undefined
              ? null
              : await onNode(owner, () => view.ask(owner, { kind: "client", clientId }));
          if (owner === undefined || remote === null) throw notFound(clientId, "session");
          sendJson(res, 200, {
            ...sessionView(remote.session),
            node: owner,
            subscriptions: remote.subscriptions.map(subscriptionView),
          });
          return;
        }
        if (s === undefined) throw notFound(clientId, "session");
        sendJson(res, 200, {
          ...sessionView(s),
          node: view?.nodeId ?? null,
          subscriptions: context.subscriptions(s.clientId).map(subscriptionView),
        });
      },
    },
    {
      method: "DELETE",
      pattern: "/api/v1/sessions/:clientId",
      role: "admin",
      handler: ({ res, params, principal }) => {
        try {
          if (!context.deleteSession(params.clientId!)) throw notFound(params.clientId!, "session");
        } catch (error) {
          if (error instanceof SessionOnlineError)
            throw new ApiError("conflict", "the session is online: disconnect the client first", "clientId");
          throw error;
        }
        deps.logger.info("admin API: session deleted", { clientId: params.clientId, by: principal.name });
        res.writeHead(204).end();
      },
    },
    {
      method: "GET",
      pattern: "/api/v1/subscriptions",
      role: "viewer",
      handler: ({ res, query }) => {
        const clientId = query.string("clientId");
        const filter = query.string("filter");
        const subs = context
          .subscriptions(clientId)
          .filter((s) => filter === undefined || s.filter.includes(filter));
        const key = (s: { clientId: string; filter: string }) => `${s.clientId}\u0000${s.filter}`;
        const result = page(subs, key, query);
        sendJson(res, 200, { items: result.items.map(subscriptionView), nextCursor: result.nextCursor });
      },
    },
    {
      method: "GET",
      pattern: "/api/v1/clients/:clientId/subscriptions",
      role: "viewer",
      handler: ({ res, params }) => {
        if (context.session(params.clientId!) === undefined) throw notFound(params.clientId!, "session");
        sendJson(res, 200, {
          items: context.subscriptions(params.clientId!).map(subscriptionView),
          nextCursor: null,
        });
      },
    },
    {
      method: "POST",
      pattern: "/api/v1/clients/:clientId/subscriptions",
      role: "admin",
      handler: async ({ req, res, params, principal }) => {
        const body = await readJsonBody(req);
        const filter = body.filter;
        if (typeof filter !== "string" || filter === "")
          throw badRequest("filter", "filter is a topic filter");
        const qos = body.qos ?? 0;
        if (qos !== 0 && qos !== 1 && qos !== 2) throw badRequest("qos", "qos is 0, 1 or 2");
        let result: { createdSession: boolean; added: boolean };
        try {
          result = context.addSubscription(params.clientId!, filter, { qos });
        } catch (error) {
          if (error instanceof InvalidSubscriptionError) throw badRequest(error.field, error.message);
          throw error;
        }
        deps.logger.info("admin API: subscription added", {
          clientId: params.clientId,
          filter,
          qos,
          by: principal.name,
        });
        sendJson(res, 201, { clientId: params.clientId, filter, qos, createdSession: result.createdSession });
      },
    },
    {
      method: "DELETE",
      pattern: "/api/v1/clients/:clientId/subscriptions",
      role: "admin",
      handler: ({ res, params, query, principal }) => {
        const filter = query.string("filter");
        if (filter === undefined) throw badRequest("filter", "filter is required");
        if (!context.removeSubscription(params.clientId!, filter))
          throw new ApiError(
            "not_found",
            `${params.clientId} has no subscription ${JSON.stringify(filter)}`,
            "filter",
          );
        deps.logger.info("admin API: subscription removed", {
          clientId: params.clientId,
          filter,
          by: principal.name,
        });
        res.writeHead(204).end();
      },
    },
  ];
}
