import { InvalidSubscriptionError, isDisconnectReasonName, SessionOnlineError } from "@amqtt/broker";
import { ApiError, badRequest } from "../errors.js";
import { page, readJsonBody, sendJson } from "../http-kit.js";
import { type ApiDeps, clientView, sessionView, subscriptionView } from "./deps.js";
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
      handler: ({ res, query }) => {
        const search = query.string("search")?.toLowerCase();
        const protocol = query.oneOf("protocol", ["3", "4", "5"]);
        const listener = query.string("listener");
        const online = context
          .sessions()
          .filter(
            (s) =>
              s.online &&
              (protocol === undefined || String(s.protocolVersion) === protocol) &&
              (listener === undefined || s.listener === listener) &&
              (search === undefined ||
                s.clientId.toLowerCase().includes(search) ||
                (s.username ?? "").toLowerCase().includes(search)),
          );
        const result = page(online, (s) => s.clientId, query);
        sendJson(res, 200, { items: result.items.map(clientView), nextCursor: result.nextCursor });
      },
    },
    {
      method: "GET",
      pattern: "/api/v1/clients/:clientId",
      role: "viewer",
      handler: ({ res, params }) => {
        const s = context.session(params.clientId!);
        if (s === undefined || !s.online) throw notFound(params.clientId!);
        sendJson(res, 200, {
          ...clientView(s),
          session: sessionView(s),
          subscriptions: context.subscriptions(s.clientId).map(subscriptionView),
        });
      },
    },
    {
      method: "DELETE",
      pattern: "/api/v1/clients/:clientId",
      role: "admin",
      handler: ({ res, params, query, principal }) => {
        const reason = query.string("reason") ?? "AdministrativeAction";
        if (!isDisconnectReasonName(reason))
          throw badRequest("reason", "reason is a DISCONNECT reason name such as AdministrativeAction");
        if (!context.disconnect(params.clientId!, reason)) throw notFound(params.clientId!);
        deps.logger.info("admin API: client disconnected", {
          clientId: params.clientId,
          reason,
          by: principal.name,
        });
        res.writeHead(204).end();
      },
    },
    {
      method: "GET",
      pattern: "/api/v1/sessions",
      role: "viewer",
      handler: ({ res, query }) => {
        const state = query.oneOf("state", ["online", "offline"]);
        const sessions = context
          .sessions()
          .filter((s) => state === undefined || s.online === (state === "online"));
        const result = page(sessions, (s) => s.clientId, query);
        sendJson(res, 200, { items: result.items.map(sessionView), nextCursor: result.nextCursor });
      },
    },
    {
      method: "GET",
      pattern: "/api/v1/sessions/:clientId",
      role: "viewer",
      handler: ({ res, params }) => {
        const s = context.session(params.clientId!);
        if (s === undefined) throw notFound(params.clientId!, "session");
        sendJson(res, 200, {
          ...sessionView(s),
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
