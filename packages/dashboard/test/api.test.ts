// The API client against a real HTTP server on loopback that answers as the contract says.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AdminApi } from "../app/src/lib/api.ts";
import {
  ApiError,
  describeError,
  NetworkError,
  RequestTimeoutError,
  UnexpectedResponseError,
} from "../app/src/lib/errors.ts";

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

async function serve(handler: Handler): Promise<{ baseUrl: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
        body,
      });
      handler(req, res, body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}/`, seen };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

describe("AdminApi", () => {
  it("sends the bearer token and the query, and returns the JSON answer", async () => {
    const { baseUrl, seen } = await serve((_req, res) =>
      json(res, 200, { items: [{ clientId: "a" }], nextCursor: null }),
    );
    const api = new AdminApi({ baseUrl, token: () => "tok-1" });
    const page = await api.clients({ limit: 50, search: "sensor", cursor: "" });
    expect(page.items).toEqual([{ clientId: "a" }]);
    expect(seen[0]?.method).toBe("GET");
    expect(seen[0]?.url).toBe("/api/v1/clients?limit=50&search=sensor");
    expect(seen[0]?.authorization).toBe("Bearer tok-1");
  });

  it("sends no authorization header without a token (open mode)", async () => {
    const { baseUrl, seen } = await serve((_req, res) => json(res, 200, { version: "1" }));
    await new AdminApi({ baseUrl }).broker();
    expect(seen[0]?.authorization).toBeUndefined();
  });

  it("encodes client ids and retained topics as one path segment", async () => {
    const { baseUrl, seen } = await serve((_req, res) => res.writeHead(204).end());
    const api = new AdminApi({ baseUrl });
    await expect(api.kick("dev/1 #x")).resolves.toBeUndefined();
    await api.deleteRetained("home/kitchen/temp");
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "DELETE /api/v1/clients/dev%2F1%20%23x?reason=AdministrativeAction",
      "DELETE /api/v1/retained/home%2Fkitchen%2Ftemp",
    ]);
  });

  it("posts JSON bodies", async () => {
    const { baseUrl, seen } = await serve((_req, res) => res.writeHead(202).end());
    await new AdminApi({ baseUrl }).publish({
      topic: "a/b",
      payload: "hi",
      encoding: "utf8",
      qos: 1,
      retain: true,
    });
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({
      topic: "a/b",
      payload: "hi",
      encoding: "utf8",
      qos: 1,
      retain: true,
    });
  });

  it("throws ApiError with status, code and field from the error body", async () => {
    const { baseUrl } = await serve((_req, res) =>
      json(res, 400, { error: { code: "bad_request", message: "qos must be 0, 1 or 2", field: "qos" } }),
    );
    const err = await new AdminApi({ baseUrl })
      .publish({ topic: "a", payload: "", encoding: "utf8", qos: 1, retain: false })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ name: "ApiError", status: 400, code: "bad_request", field: "qos" });
    expect(describeError(err)).toBe("qos must be 0, 1 or 2 (qos)");
  });

  it("calls onUnauthorized on a 401 of an authenticated request, not on a failed login", async () => {
    const { baseUrl } = await serve((_req, res) =>
      json(res, 401, { error: { code: "unauthorized", message: "no" } }),
    );
    let calls = 0;
    const api = new AdminApi({ baseUrl, token: () => "expired", onUnauthorized: () => calls++ });
    await expect(api.stats()).rejects.toMatchObject({ name: "ApiError", code: "unauthorized", status: 401 });
    expect(calls).toBe(1);
    await expect(api.login("u", "p")).rejects.toMatchObject({ code: "unauthorized" });
    expect(calls).toBe(1);
  });

  it("sends the login without the stored token", async () => {
    const { baseUrl, seen } = await serve((_req, res) =>
      json(res, 200, { token: "new", role: "viewer", expiresAt: "2030-01-01T00:00:00Z" }),
    );
    const result = await new AdminApi({ baseUrl, token: () => "old" }).login("ann", "pw");
    expect(result.token).toBe("new");
    expect(seen[0]?.authorization).toBeUndefined();
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ username: "ann", password: "pw" });
  });

  it("throws UnexpectedResponseError for an error that is not the API's shape", async () => {
    const { baseUrl } = await serve((req, res) => {
      if (req.url?.includes("stats"))
        res.writeHead(502, { "content-type": "text/html" }).end("<h1>Bad gateway</h1>");
      else json(res, 500, { error: { code: "boom", message: "?" } });
    });
    const api = new AdminApi({ baseUrl });
    await expect(api.stats()).rejects.toMatchObject({ name: "UnexpectedResponseError", status: 502 });
    await expect(api.broker()).rejects.toBeInstanceOf(UnexpectedResponseError);
  });

  it("throws UnexpectedResponseError for a 200 that is not JSON", async () => {
    const { baseUrl } = await serve((_req, res) =>
      res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html>"),
    );
    await expect(new AdminApi({ baseUrl }).stats()).rejects.toMatchObject({
      name: "UnexpectedResponseError",
      status: 200,
    });
  });

  it("throws NetworkError when nothing listens", async () => {
    const { baseUrl } = await serve(() => {});
    await new Promise<void>((resolve) => servers.pop()?.close(() => resolve()));
    const err = await new AdminApi({ baseUrl }).stats().catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.name).toBe("NetworkError");
    expect(err.url).toBe(`${baseUrl}api/v1/stats`);
  });

  it("throws RequestTimeoutError when the server never answers", async () => {
    const { baseUrl } = await serve(() => {}); // reads the request, never responds
    const err = await new AdminApi({ baseUrl, timeoutMs: 200 }).stats().catch((e) => e);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(err).toMatchObject({ name: "RequestTimeoutError", timeoutMs: 200 });
  });

  it("builds the live WebSocket URL with ws(s) and the token in the query", () => {
    const api = new AdminApi({ baseUrl: "http://127.0.0.1:9090/", token: () => "t k" });
    expect(api.liveUrl("a/#")).toBe("ws://127.0.0.1:9090/api/v1/live?filter=a%2F%23&token=t+k");
    const tls = new AdminApi({ baseUrl: "https://admin.example:9443/dash/" });
    expect(tls.liveUrl("#")).toBe("wss://admin.example:9443/dash/api/v1/live?filter=%23");
  });
});
