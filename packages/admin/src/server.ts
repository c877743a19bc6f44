import { readFileSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { fileURLToPath } from "node:url";
import type { Broker, Logger, ResolvedListener } from "@amqtt/broker";
import { checkTopicFilter } from "@amqtt/message";
import { WebSocketServer } from "ws";
import type { BridgeStatusSource } from "./bridge-status.js";
import { Credentials, type Principal } from "./credentials.js";
import { findDashboardAssets, NO_DASHBOARD_PAGE, serveAsset } from "./dashboard.js";
import { AdminConfigError, ApiError } from "./errors.js";
import { StatsHistory } from "./history.js";
import { Query, sendError, sendJson } from "./http-kit.js";
import { LiveHub, type LiveOptions } from "./live.js";
import { LoginLimiter, type LoginLimiterOptions } from "./login-limiter.js";
import { type AdminCounters, brokerRegistry } from "./metrics.js";
import { bridgeRoutes } from "./routes/bridge-routes.js";
import { brokerRoutes, loginRoute } from "./routes/broker-routes.js";
import { clientRoutes } from "./routes/client-routes.js";
import { clusterRoutes } from "./routes/cluster-routes.js";
import type { ApiDeps } from "./routes/deps.js";
import { retainedRoutes } from "./routes/retained-routes.js";
import { Router } from "./routes/router.js";

/** The OpenAPI 3.1 description of this API (served at `/api/v1/openapi.yaml`). */
export const OPENAPI_FILE = fileURLToPath(new URL("../openapi.yaml", import.meta.url));

/** Options of {@link startAdmin}. */
export interface AdminOptions {
  /** Which `type: http` listener of the configuration to serve (default: the first). */
  listener?: string;
  /** Serve on this address instead of (or without) a configured listener, e.g. `amqtt --admin-port`. */
  bind?: { host: string; port: number };
  /** Where to log (default: the broker's logger, child `admin`). */
  logger?: Logger;
  /** The dashboard's built assets (default: what `@amqtt/dashboard` exports, if installed). */
  dashboardDir?: string;
  /** Readiness checks beyond listeners and store, e.g. `{ cluster: () => engine.reachable() }`. */
  readyChecks?: Record<string, () => boolean | Promise<boolean>>;
  /** Stats history: samples kept (default 600) and interval (default 1000 ms). */
  history?: { capacity?: number; intervalMs?: number };
  /** Failed-login rate limit. */
  loginLimit?: LoginLimiterOptions;
  /** Live topic viewer bounds. */
  live?: Omit<LiveOptions, "onDrop">;
  /** Lifetime of a login session token, ms (default one hour). */
  sessionTtlMs?: number;
  /**
   * The broker's bridges (`@amqtt/bridge`'s `Bridges`, or anything with its
   * `status()`): shown at `GET /api/v1/bridges` and as `amqtt_bridge_*` metrics.
   */
  bridges?: BridgeStatusSource;
}

/** Connections the admin listener accepts at once unless its `max_connections` says otherwise. */
export const DEFAULT_ADMIN_MAX_CONNECTIONS = 256;

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1", "localhost"]);

/** Whether `host` is a loopback address (a bind, or a peer's address). */
export function isLoopback(host: string | undefined): boolean {
  return host !== undefined && (LOOPBACK.has(host) || host.startsWith("127."));
}

/** A running admin listener. */
export interface AdminServer {
  /** `http://host:port` (or https) it listens on. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** True when credentials are configured (else: loopback only, full rights). */
  readonly authenticated: boolean;
  /** The stats history (ring buffer) behind `/api/v1/stats/history`. */
  readonly history: StatsHistory;
  /** The admin listener's own counters (refused credentials, dropped live frames), also in `/metrics`. */
  readonly counters: Readonly<AdminCounters>;
  /**
   * Re-read the password and tokens files (for SIGHUP or `POST /reload`); on a
   * malformed file the old credentials stay and the error is thrown. Login
   * sessions stay valid until they expire.
   */
  reloadCredentials(): Promise<void>;
  /** Stop listening, close live viewers and open connections. */
  close(): Promise<void>;
}

/**
 * Start the admin listener of `broker`: the `type: http` listener of its
 * configuration (or `options.bind`), with the credentials of its `admin:`
 * section. With no credentials it serves only loopback clients, with full
 * rights, and says so; on a non-loopback bind without credentials it refuses
 * to start (AdminConfigError).
 */
export async function startAdmin(broker: Broker, options: AdminOptions = {}): Promise<AdminServer> {
  const logger = options.logger ?? broker.logger.child("admin");
  const spec = pickListener(broker, options);
  const adminConfig = broker.config.admin;
  const credentials = new Credentials(
    { passwordFile: adminConfig.passwordFile, tokensFile: adminConfig.tokensFile },
    options.sessionTtlMs,
  );
  if (!credentials.configured && !isLoopback(spec.host))
    throw new AdminConfigError(
      `listeners.${spec.name}.bind`,
      `the admin listener binds ${spec.host}, which is not loopback, and no admin credentials are configured (admin.password_file or admin.tokens_file)`,
    );
  await credentials.load();
  const counters: AdminCounters = { authFailures: 0, liveDropped: 0 };
  const history = new StatsHistory(
    () => broker.stats(),
    options.history?.capacity,
    options.history?.intervalMs,
  );
  const limiter = new LoginLimiter(options.loginLimit);
  const live = new LiveHub(broker, { ...options.live, onDrop: () => counters.liveDropped++ });
  const registry = brokerRegistry(broker, counters, options.bridges);
  const assets = findDashboardAssets(options.dashboardDir);
  const openapi = readFileSync(OPENAPI_FILE, "utf8");
  const sockets = new Set<Socket>();
  const server: Server =
    spec.tls === undefined
      ? createHttpServer()
      : createHttpsServer({
          cert: readFileSync(spec.tls.certfile),
          key: readFileSync(spec.tls.keyfile),
          ...(spec.tls.cafile === undefined ? {} : { ca: readFileSync(spec.tls.cafile) }),
        });
  // Bounds: connections at once (the listener's max_connections), and how long one request may take.
  server.maxConnections = spec.maxConnections > 0 ? spec.maxConnections : DEFAULT_ADMIN_MAX_CONNECTIONS;
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const address = () => server.address() as AddressInfo;
  const deps: ApiDeps = {
    broker,
    credentials,
    limiter,
    history,
    logger,
    readyChecks: options.readyChecks ?? {},
    bridges: options.bridges,
    self: () => ({
      name: spec.name,
      host: spec.host,
      port: address().port,
      tls: spec.tls !== undefined,
      connections: sockets.size,
    }),
    authFailed: () => {
      counters.authFailures++;
    },
  };
  const router = new Router([
    loginRoute(deps),
    ...brokerRoutes(deps),
    ...clientRoutes(deps),
    ...retainedRoutes(deps),
    ...bridgeRoutes(deps),
    ...clusterRoutes(deps),
  ]);
  // The bridges of this process go into the node's status snapshots (the other nodes' admin sees them).
  const bridgeSource = options.bridges;
  if (bridgeSource !== undefined)
    broker.cluster?.setBridgeSource(() =>
      bridgeSource.status().map((b) => ({
        name: b.name,
        connected: b.connected,
        queued: b.queued,
        dropped: b.dropped,
        lastError: b.lastError ?? null,
      })),
    );

  /** Who is asking, by bearer token (or the loopback rule); throws 401/403/429 as the contract says. Basic is checked by `authenticateAsync`. */
  const authenticate = (req: IncomingMessage): Principal => {
    const peer = req.socket.remoteAddress;
    if (!credentials.configured) {
      if (isLoopback(peer)) return { name: "loopback", role: "admin", via: "loopback" };
      throw new ApiError(
        "forbidden",
        "no admin credentials are configured: the API answers loopback clients only",
      );
    }
    const from = peer ?? "unknown";
    if (limiter.blockedFor(from) > 0) {
      counters.authFailures++;
      throw new ApiError("too_many_requests", "too many failed attempts from this address; try again later");
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
    // Browsers cannot set headers on a WebSocket: the live viewer may pass its token in the query.
    const token =
      bearer?.[1]?.trim() ??
      (req.headers.upgrade?.toLowerCase() === "websocket"
        ? new URL(req.url ?? "/", "http://admin").searchParams.get("token")
        : null);
    if (token === null || token === undefined) {
      counters.authFailures++;
      throw new ApiError("unauthorized", "credentials required: Authorization Basic or Bearer");
    }
    const principal = credentials.verifyToken(token);
    if (principal !== undefined) {
      limiter.succeeded(from);
      return principal;
    }
    limiter.failed(from);
    counters.authFailures++;
    // Never the token itself.
    logger.warn("admin API: refused bearer token", { address: from });
    throw new ApiError("unauthorized", "wrong credentials");
  };

  /** Basic credentials are checked asynchronously (password hashes); the rest synchronously. */
  const authenticateAsync = async (req: IncomingMessage): Promise<Principal> => {
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? "");
    if (basic === null || !credentials.configured) return authenticate(req);
    const from = req.socket.remoteAddress ?? "unknown";
    if (limiter.blockedFor(from) > 0) {
      counters.authFailures++;
      throw new ApiError("too_many_requests", "too many failed attempts from this address; try again later");
    }
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const name = colon < 0 ? decoded : decoded.slice(0, colon);
    const role = colon < 0 ? undefined : await credentials.verifyUser(name, decoded.slice(colon + 1));
    if (role !== undefined) {
      limiter.succeeded(from);
      return { name, role, via: "basic" };
    }
    limiter.failed(from);
    counters.authFailures++;
    logger.warn("admin API: refused credentials", { address: from, username: name });
    throw new ApiError("unauthorized", "wrong user name or password");
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://admin");
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (path === "/healthz" && (method === "GET" || method === "HEAD"))
      return sendJson(res, 200, { status: "ok" });
    if (path === "/readyz" && (method === "GET" || method === "HEAD")) return ready(deps, res);
    if (path === "/metrics" && method === "GET") {
      if (!adminConfig.metricsPublic) await authenticateAsync(req);
      const text = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
      res.end(text);
      return;
    }
    if (path === "/api/v1/openapi.yaml" && method === "GET") {
      res.writeHead(200, { "content-type": "application/yaml; charset=utf-8" });
      res.end(openapi);
      return;
    }
    if (path.startsWith("/api/")) {
      const { route, params, methods } = router.match(method, path);
      if (route === undefined) {
        if (methods.length > 0) {
          res.setHeader("allow", methods.join(", "));
          throw new ApiError(
            "not_found",
            `${method} is not served on ${path} (allowed: ${methods.join(", ")})`,
          );
        }
        throw new ApiError("not_found", `no API endpoint ${path}`);
      }
      const principal =
        route.public === true
          ? { name: "", role: "viewer" as const, via: "loopback" as const }
          : await authenticateAsync(req);
      if (route.role === "admin" && principal.role !== "admin")
        throw new ApiError("forbidden", `${method} ${route.pattern} needs the admin role`);
      await route.handler({ req, res, params, query: new Query(url.searchParams), principal });
      return;
    }
    if (method === "GET" || method === "HEAD") {
      if (assets !== undefined && serveAsset(assets, path, res, method === "HEAD")) return;
      if (path === "/" || path === "/index.html") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(method === "HEAD" ? undefined : NO_DASHBOARD_PAGE);
        return;
      }
    }
    throw new ApiError("not_found", `nothing at ${path}`);
  };

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof ApiError) {
        const headers: Record<string, string> = {};
        if (error.code === "unauthorized")
          headers["www-authenticate"] = 'Basic realm="amqtt admin", charset="UTF-8"';
        sendError(res, error, headers);
        return;
      }
      logger.error("admin API: request failed", { path: req.url?.split("?")[0], error: String(error) });
      sendJson(res, 500, {
        error: { code: "internal", message: "the request failed; see the broker's log" },
      });
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? "/", "http://admin");
    if (url.pathname !== "/api/v1/live") return refuse(404, "Not Found");
    const filter = url.searchParams.get("filter") ?? "#";
    if (checkTopicFilter(filter) !== undefined || filter.startsWith("$share/"))
      return refuse(400, "Bad Request");
    authenticateAsync(req).then(
      () => {
        if (live.full) return refuse(429, "Too Many Requests");
        wss.handleUpgrade(req, socket, head, (ws) => live.add(ws, filter));
      },
      (error: unknown) => {
        const status = error instanceof ApiError ? error.status : 500;
        refuse(status, status === 401 ? "Unauthorized" : status === 429 ? "Too Many Requests" : "Forbidden");
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(spec.port, spec.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  history.start();
  const scheme = spec.tls === undefined ? "http" : "https";
  const a = address();
  const host = a.address.includes(":") ? `[${a.address}]` : a.address;
  const url = `${scheme}://${host}:${a.port}`;
  if (!credentials.configured)
    logger.warn(
      "admin API without credentials: it answers loopback clients only, with full rights (set admin.password_file or admin.tokens_file)",
      { url },
    );
  if (assets === undefined)
    logger.warn(
      "the dashboard's assets are not built (pnpm --filter @amqtt/dashboard build): / serves a page pointing at the API",
    );
  logger.info("admin listener open", { url, dashboard: assets !== undefined });
  return {
    url,
    host: a.address,
    port: a.port,
    authenticated: credentials.configured,
    history,
    counters,
    reloadCredentials: async () => {
      await credentials.load();
      logger.info("admin credentials reloaded");
    },
    close: async () => {
      history.stop();
      if (bridgeSource !== undefined) broker.cluster?.setBridgeSource(undefined);
      live.close();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

/** `/readyz`: every configured MQTT listener open, the store answering, and the extra checks. */
async function ready(deps: ApiDeps, res: ServerResponse): Promise<void> {
  const broker = deps.broker;
  const checks: Record<string, boolean> = {};
  const expected = broker.config.listeners.filter((l) => l.type === "tcp" || l.type === "ws").length;
  checks.listeners = broker.addresses().length === expected;
  checks.store = await within(
    broker.store.retainedUsage().then(
      () => true,
      () => false,
    ),
    2000,
  );
  // A cluster node is ready only while its engine answers (unless the embedder checks it itself).
  const cluster = broker.stats().cluster;
  if (cluster !== undefined && deps.readyChecks.cluster === undefined)
    checks.cluster = cluster.engine === "up";
  for (const [name, check] of Object.entries(deps.readyChecks)) {
    checks[name] = await within(
      Promise.resolve()
        .then(check)
        .then(
          (ok) => ok === true,
          () => false,
        ),
      2000,
    );
  }
  const isReady = Object.values(checks).every(Boolean);
  sendJson(res, isReady ? 200 : 503, { ready: isReady, checks });
}

function within(p: Promise<boolean>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

/** The listener to serve: the configured `type: http` one (by name or the first), overridden by `options.bind`. */
function pickListener(broker: Broker, options: AdminOptions): ResolvedListener {
  const http = broker.config.listeners.filter((l) => l.type === "http");
  const chosen = options.listener === undefined ? http[0] : http.find((l) => l.name === options.listener);
  if (options.listener !== undefined && chosen === undefined)
    throw new AdminConfigError(`listeners.${options.listener}`, "no such type: http listener");
  const base: ResolvedListener = chosen ?? {
    name: "admin",
    type: "http",
    host: "127.0.0.1",
    port: 9090,
    maxConnections: DEFAULT_ADMIN_MAX_CONNECTIONS,
  };
  return options.bind === undefined ? base : { ...base, host: options.bind.host, port: options.bind.port };
}
