// The admin API's shapes, as /work/prompts/api-contract.md and packages/admin/openapi.yaml give them.
import type { StatsSample } from "./series.ts";

/** Roles of the admin API: viewers read, admins also change. */
export type Role = "viewer" | "admin";

/** `POST /api/v1/auth/login`. */
export interface LoginResult {
  token: string;
  role: Role;
  expiresAt: string;
}

/** `GET /api/v1/broker`. */
export interface BrokerInfo {
  version: string;
  nodeId: string;
  startedAt: string;
  uptimeSeconds: number;
  config: unknown;
}

/** One item of `GET /api/v1/listeners`. */
export interface ListenerInfo {
  name: string;
  type: string;
  bind: string;
  tls: boolean;
  connections: number;
  maxConnections?: number | null;
}

/** `GET /api/v1/stats`. */
export interface Stats {
  connections: { current: number; total: number };
  messages: { in: number; out: number; dropped: number };
  bytes: { in: number; out: number };
  subscriptions: number;
  retained: { count: number; bytes: number };
  sessions: { online: number; offline: number };
  memory: { rss: number; heapUsed: number };
  cpu: { user: number; system: number };
  eventLoopLagMs: number;
}

/** `GET /api/v1/stats/history`. */
export interface StatsHistory {
  intervalMs: number;
  samples: StatsSample[];
}

/** One item of `GET /api/v1/clients`. */
export interface ClientInfo {
  clientId: string;
  username?: string | null;
  address: string;
  listener: string;
  protocolVersion: number;
  connectedAt: string;
  keepAlive: number;
  subscriptions: number;
  inflight: number;
  queued: number;
}

/** `GET /api/v1/clients/{clientId}`: the client with its session and its subscriptions. */
export interface ClientDetail extends Omit<ClientInfo, "subscriptions"> {
  session?: Record<string, unknown>;
  subscriptions: SubscriptionInfo[] | number;
}

/** One item of `GET /api/v1/sessions`. */
export interface SessionInfo {
  clientId: string;
  online: boolean;
  username: string | null;
  protocolVersion: number;
  /** Seconds; 4294967295 never expires. */
  expiryInterval: number;
  subscriptions: number;
  queued: number;
  inflight: number;
  listener: string | null;
  address: string | null;
  connectedAt: string | null;
}

/** One item of `GET /api/v1/subscriptions`. */
export interface SubscriptionInfo {
  clientId: string;
  filter: string;
  qos: number;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: number;
  shareGroup?: string | null;
}

/** Payload encodings of the API: text as it is, or base64 for bytes that are not UTF-8. */
export type PayloadEncoding = "utf8" | "base64";

/** One item of `GET /api/v1/retained`. */
export interface RetainedInfo {
  topic: string;
  qos: number;
  payloadSize: number;
  payload: string;
  encoding: PayloadEncoding;
  properties?: Record<string, unknown>;
}

/** `POST /api/v1/publish`. */
export interface PublishRequest {
  topic: string;
  payload: string;
  encoding: PayloadEncoding;
  qos: 0 | 1 | 2;
  retain: boolean;
}

/** A page of a list endpoint. */
export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

/** A message frame of the `/api/v1/live` WebSocket. */
export interface LiveMessage {
  topic: string;
  qos: number;
  retain: boolean;
  payload: string;
  encoding: PayloadEncoding;
  time: string | number;
}
