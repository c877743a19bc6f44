import type { Broker, ClusterView, Logger, SessionInfo, SubscriptionInfo } from "@amqtt/broker";
import type { BridgeStatusSource } from "../bridge-status.js";
import type { Credentials } from "../credentials.js";
import type { StatsHistory } from "../history.js";
import type { Query } from "../http-kit.js";
import type { LoginLimiter } from "../login-limiter.js";

/** What the API routes use: the broker (through its public API and `broker.context`) and the admin listener's parts. */
export interface ApiDeps {
  broker: Broker;
  credentials: Credentials;
  limiter: LoginLimiter;
  history: StatsHistory;
  logger: Logger;
  /** The admin listener's address and open HTTP connections (for `/listeners`). */
  self(): { name: string; host: string; port: number; tls: boolean; connections: number };
  /** Readiness checks beyond listeners and store (a cluster engine, ...). */
  readyChecks: Record<string, () => boolean | Promise<boolean>>;
  /** The bridges whose state `/api/v1/bridges` shows (none: an empty list). */
  bridges: BridgeStatusSource | undefined;
  /** Count a refused credential (for `/metrics`). */
  authFailed(): void;
}

/**
 * The cluster to answer for: on a cluster node, the whole cluster unless the
 * request says `scope=node`; `undefined` answers for this broker alone.
 */
export function clusterScope(deps: ApiDeps, query: Query): ClusterView | undefined {
  const scope = query.oneOf("scope", ["cluster", "node"]);
  return scope === "node" ? undefined : deps.broker.cluster;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** A connected client as the API shows it. */
export function clientView(s: SessionInfo) {
  return {
    clientId: s.clientId,
    username: s.username ?? null,
    address: s.remoteAddress ?? null,
    listener: s.listener ?? null,
    protocolVersion: s.protocolVersion,
    connectedAt: iso(s.connectedAt),
    keepAlive: s.keepAlive ?? null,
    subscriptions: s.subscriptions,
    inflight: s.inflight,
    queued: s.queued,
  };
}

/** A session as the API shows it. */
export function sessionView(s: SessionInfo) {
  return {
    clientId: s.clientId,
    online: s.online,
    username: s.username ?? null,
    protocolVersion: s.protocolVersion,
    expiryInterval: s.expiryInterval,
    subscriptions: s.subscriptions,
    queued: s.queued,
    inflight: s.inflight,
    listener: s.listener ?? null,
    address: s.remoteAddress ?? null,
    connectedAt: iso(s.connectedAt),
  };
}

/** A subscription as the API shows it. */
export function subscriptionView(s: SubscriptionInfo) {
  return {
    clientId: s.clientId,
    filter: s.filter,
    qos: s.qos,
    noLocal: s.noLocal,
    retainAsPublished: s.retainAsPublished,
    retainHandling: s.retainHandling,
    shareGroup: s.shareGroup ?? null,
  };
}
