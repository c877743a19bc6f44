// The admin HTTP API client: one method per endpoint the dashboard uses, typed errors.
import {
  ApiError,
  asApiErrorCode,
  NetworkError,
  RequestTimeoutError,
  UnexpectedResponseError,
} from "./errors.ts";
import type {
  BrokerInfo,
  ClientDetail,
  ClientInfo,
  ListenerInfo,
  LoginResult,
  Page,
  PublishRequest,
  RetainedInfo,
  SessionInfo,
  Stats,
  StatsHistory,
  SubscriptionInfo,
} from "./types.ts";

/** How long one request may take by default. */
export const defaultRequestTimeoutMs = 15_000;

/** Options of {@link AdminApi}. */
export interface AdminApiOptions {
  /** The admin listener's origin and prefix, e.g. `http://127.0.0.1:9090/`; API paths resolve against it. */
  baseUrl: string;
  /** The bearer token to send, read at each request; none in open (loopback, no credentials) mode. */
  token?: () => string | undefined;
  /** Called when an authenticated request gets 401 (the token expired or was revoked). */
  onUnauthorized?: () => void;
  /** The fetch to use (the global one by default). */
  fetch?: typeof fetch;
  /** Per-request time limit in milliseconds. */
  timeoutMs?: number;
}

type Query = Record<string, string | number | undefined>;

/** Paging and filters of `GET /api/v1/clients`. */
export interface ClientQuery {
  limit?: number;
  cursor?: string;
  search?: string;
  protocol?: 4 | 5;
  listener?: string;
}

/** The admin API (see packages/admin/openapi.yaml). */
export class AdminApi {
  private readonly options: AdminApiOptions;
  private readonly fetchImpl: typeof fetch;

  constructor(options: AdminApiOptions) {
    this.options = options;
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** An absolute URL for an API path (no leading slash: relative to the base) and query. */
  url(path: string, query: Query = {}): string {
    const url = new URL(path, this.options.baseUrl);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  /** The `/api/v1/live` WebSocket URL for a filter, with the token in the query (browsers send no headers there). */
  liveUrl(filter: string): string {
    const url = new URL(this.url("api/v1/live", { filter, token: this.options.token?.() }));
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.toString();
  }

  /** `POST /api/v1/auth/login`. */
  login(username: string, password: string): Promise<LoginResult> {
    return this.request("POST", "api/v1/auth/login", { body: { username, password }, anonymous: true });
  }

  /** `GET /api/v1/broker`. */
  broker(): Promise<BrokerInfo> {
    return this.request("GET", "api/v1/broker");
  }

  /** `GET /api/v1/listeners`. */
  listeners(): Promise<{ items: ListenerInfo[] }> {
    return this.request("GET", "api/v1/listeners");
  }

  /** `GET /api/v1/stats`. */
  stats(): Promise<Stats> {
    return this.request("GET", "api/v1/stats");
  }

  /** `GET /api/v1/stats/history`. */
  statsHistory(): Promise<StatsHistory> {
    return this.request("GET", "api/v1/stats/history");
  }

  /** `GET /api/v1/clients`. */
  clients(query: ClientQuery = {}): Promise<Page<ClientInfo>> {
    return this.request("GET", "api/v1/clients", { query: { ...query } });
  }

  /** `GET /api/v1/clients/{clientId}`. */
  client(clientId: string): Promise<ClientDetail> {
    return this.request("GET", `api/v1/clients/${encodeURIComponent(clientId)}`);
  }

  /** `DELETE /api/v1/clients/{clientId}`: disconnects the client (5.0: DISCONNECT with the reason). */
  kick(clientId: string, reason = "AdministrativeAction"): Promise<void> {
    return this.request("DELETE", `api/v1/clients/${encodeURIComponent(clientId)}`, { query: { reason } });
  }

  /** `GET /api/v1/sessions`. */
  sessions(
    query: { limit?: number; cursor?: string; state?: "online" | "offline" } = {},
  ): Promise<Page<SessionInfo>> {
    return this.request("GET", "api/v1/sessions", { query: { ...query } });
  }

  /** `DELETE /api/v1/sessions/{clientId}` (offline sessions only; 409 when online). */
  deleteSession(clientId: string): Promise<void> {
    return this.request("DELETE", `api/v1/sessions/${encodeURIComponent(clientId)}`);
  }

  /** `GET /api/v1/subscriptions`. */
  subscriptions(
    query: { clientId?: string; filter?: string; limit?: number; cursor?: string } = {},
  ): Promise<Page<SubscriptionInfo>> {
    return this.request("GET", "api/v1/subscriptions", { query: { ...query } });
  }

  /** `POST /api/v1/clients/{clientId}/subscriptions`. */
  addSubscription(clientId: string, filter: string, qos: 0 | 1 | 2): Promise<void> {
    return this.request("POST", `api/v1/clients/${encodeURIComponent(clientId)}/subscriptions`, {
      body: { filter, qos },
    });
  }

  /** `DELETE /api/v1/clients/{clientId}/subscriptions?filter=`. */
  removeSubscription(clientId: string, filter: string): Promise<void> {
    return this.request("DELETE", `api/v1/clients/${encodeURIComponent(clientId)}/subscriptions`, {
      query: { filter },
    });
  }

  /** `GET /api/v1/retained`. */
  retained(query: { filter?: string; limit?: number; cursor?: string } = {}): Promise<Page<RetainedInfo>> {
    return this.request("GET", "api/v1/retained", { query: { ...query } });
  }

  /** `GET /api/v1/retained/{topic}`. */
  retainedMessage(topic: string): Promise<RetainedInfo> {
    return this.request("GET", `api/v1/retained/${encodeURIComponent(topic)}`);
  }

  /** `DELETE /api/v1/retained/{topic}`. */
  deleteRetained(topic: string): Promise<void> {
    return this.request("DELETE", `api/v1/retained/${encodeURIComponent(topic)}`);
  }

  /** `POST /api/v1/publish`. */
  publish(message: PublishRequest): Promise<void> {
    return this.request("POST", "api/v1/publish", { body: message });
  }

  /**
   * One request. JSON in and out; 204 and empty bodies give `undefined`. Any non-2xx
   * throws {@link ApiError} (or {@link UnexpectedResponseError} when the body is not
   * the contract's error shape); a 401 on an authenticated request also calls
   * `onUnauthorized`.
   */
  async request<T>(
    method: string,
    path: string,
    init: { query?: Query; body?: unknown; anonymous?: boolean } = {},
  ): Promise<T> {
    const url = this.url(path, init.query);
    const headers: Record<string, string> = { accept: "application/json" };
    const token = init.anonymous ? undefined : this.options.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const timeoutMs = this.options.timeoutMs ?? defaultRequestTimeoutMs;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        // The API answers 401 with `WWW-Authenticate: Basic`; a browser shows its own
        // login prompt for that unless the request carries no credentials (the token
        // goes in the header, never as a cookie, so nothing is lost).
        credentials: "omit",
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === "TimeoutError")
        throw new RequestTimeoutError(url, timeoutMs);
      throw new NetworkError(url, { cause: err });
    }
    const text = await response.text();
    if (!response.ok) {
      if (response.status === 401 && !init.anonymous) this.options.onUnauthorized?.();
      throw errorFromBody(response.status, text);
    }
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new UnexpectedResponseError(response.status, `${method} ${path}: the answer is not JSON`);
    }
  }
}

function errorFromBody(status: number, text: string): ApiError | UnexpectedResponseError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return new UnexpectedResponseError(status, `HTTP ${status}: ${text.slice(0, 200) || "no body"}`);
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error;
  const code = asApiErrorCode(error?.code);
  if (error === undefined || code === undefined) {
    return new UnexpectedResponseError(status, `HTTP ${status} without the API's error shape`);
  }
  const message = typeof error.message === "string" ? error.message : code;
  return new ApiError(status, code, message, typeof error.field === "string" ? error.field : undefined);
}
