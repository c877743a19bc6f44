import { InvalidSubscriptionError } from "@amqtt/broker";
import { checkTopicFilter, checkTopicName } from "@amqtt/message";
import { ApiError, badRequest } from "../errors.js";
import { page, payloadView, readJsonBody, sendJson } from "../http-kit.js";
import type { ApiDeps } from "./deps.js";
import type { Route } from "./router.js";

/** Bytes of a payload shown in a list (the whole payload is at `GET /retained/{topic}`). */
export const PREVIEW_BYTES = 256;

/** Retained messages and publishing (`/api/v1/retained`, `/api/v1/publish`). */
export function retainedRoutes(deps: ApiDeps): Route[] {
  const context = deps.broker.context;
  const view = (
    r: { topic: string; qos: number; payload: Uint8Array; properties: unknown },
    preview: number,
  ) => {
    const shown = payloadView(r.payload, preview);
    return {
      topic: r.topic,
      qos: r.qos,
      payloadSize: r.payload.length,
      payload: shown.payload,
      encoding: shown.encoding,
      truncated: shown.truncated,
      ...(r.properties === undefined ? {} : { properties: jsonSafe(r.properties) }),
    };
  };
  const topicParam = (topic: string | undefined) => {
    if (topic === undefined || checkTopicName(topic) !== undefined)
      throw badRequest("topic", "topic is a topic name (URL-encoded)");
    return topic;
  };
  return [
    {
      method: "GET",
      pattern: "/api/v1/retained",
      role: "viewer",
      handler: ({ res, query }) => {
        const filter = query.string("filter") ?? "#";
        const problem = checkTopicFilter(filter);
        if (problem !== undefined) throw badRequest("filter", problem.message);
        let all: ReturnType<typeof context.retainedMessages>;
        try {
          all = context.retainedMessages(filter);
        } catch (error) {
          if (error instanceof InvalidSubscriptionError) throw badRequest("filter", error.message);
          throw error;
        }
        const result = page(all, (r) => r.topic, query);
        sendJson(res, 200, {
          items: result.items.map((r) => view(r, PREVIEW_BYTES)),
          nextCursor: result.nextCursor,
        });
      },
    },
    {
      method: "GET",
      pattern: "/api/v1/retained/:topic*",
      role: "viewer",
      handler: ({ res, params }) => {
        const topic = topicParam(params.topic);
        const r = context.retainedMessage(topic);
        if (r === undefined)
          throw new ApiError("not_found", `no retained message on ${JSON.stringify(topic)}`, "topic");
        sendJson(res, 200, view(r, Number.POSITIVE_INFINITY));
      },
    },
    {
      method: "DELETE",
      pattern: "/api/v1/retained/:topic*",
      role: "admin",
      handler: ({ res, params, principal }) => {
        const topic = topicParam(params.topic);
        if (context.retainedMessage(topic) === undefined)
          throw new ApiError("not_found", `no retained message on ${JSON.stringify(topic)}`, "topic");
        context.retainMessage({ topic, payload: new Uint8Array(0) });
        deps.logger.info("admin API: retained message cleared", { topic, by: principal.name });
        res.writeHead(204).end();
      },
    },
    {
      method: "POST",
      pattern: "/api/v1/publish",
      role: "admin",
      handler: async ({ req, res, principal }) => {
        const body = await readJsonBody(req);
        const { topic, payload } = body;
        if (typeof topic !== "string" || checkTopicName(topic) !== undefined)
          throw badRequest("topic", "topic is a topic name (no wildcards, not empty)");
        if (typeof payload !== "string")
          throw badRequest("payload", "payload is a string (text, or base64 with encoding: base64)");
        const encoding = body.encoding ?? "utf8";
        if (encoding !== "utf8" && encoding !== "base64")
          throw badRequest("encoding", "encoding is utf8 or base64");
        if (encoding === "base64" && !/^[A-Za-z0-9+/]*={0,2}$/.test(payload))
          throw badRequest("payload", "payload is not base64");
        const qos = body.qos ?? 0;
        if (qos !== 0 && qos !== 1 && qos !== 2) throw badRequest("qos", "qos is 0, 1 or 2");
        const retain = body.retain ?? false;
        if (typeof retain !== "boolean") throw badRequest("retain", "retain is true or false");
        const bytes =
          encoding === "base64"
            ? new Uint8Array(Buffer.from(payload, "base64"))
            : new TextEncoder().encode(payload);
        deps.broker.publish({ topic, payload: bytes, qos, retain });
        deps.logger.info("admin API: message published", {
          topic,
          qos,
          retain,
          bytes: bytes.length,
          by: principal.name,
        });
        sendJson(res, 202, { accepted: true });
      },
    },
  ];
}

/** Properties as JSON: binary values (correlation data) as base64, user properties as pairs. */
function jsonSafe(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
}
