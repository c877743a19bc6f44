/**
 * @packageDocumentation
 * `@amqtt/admin`: the operations listener of an `@amqtt/broker` — an HTTP(S)
 * admin API (`/api/v1`, described by `openapi.yaml`), Prometheus `/metrics`,
 * `/healthz` and `/readyz`, a live topic viewer over WebSocket and the
 * dashboard's assets. It uses only the broker's public API and `broker.context`.
 *
 * @example
 * ```ts
 * import { Broker } from "@amqtt/broker";
 * import { startAdmin } from "@amqtt/admin";
 * const broker = new Broker({
 *   listeners: { default: { bind: "127.0.0.1:1883" }, admin: { type: "http", bind: "127.0.0.1:9090" } },
 * });
 * await broker.start();
 * const admin = await startAdmin(broker); // loopback only: no credentials configured
 * console.log(admin.url);
 * ```
 */
export { type BridgeStatusSource, type BridgeStatusView, bridgeView } from "./bridge-status.js";
export {
  type CredentialFiles,
  Credentials,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SESSION_TTL_MS,
  type Principal,
  parseAdminUsers,
  parseTokens,
  type Role,
  sha256Hex,
} from "./credentials.js";
export { findDashboardAssets } from "./dashboard.js";
export { AdminConfigError, ApiError, type ApiErrorCode, TokensFileError } from "./errors.js";
export {
  DEFAULT_HISTORY_INTERVAL_MS,
  DEFAULT_HISTORY_SAMPLES,
  type HistorySample,
  StatsHistory,
} from "./history.js";
export { DEFAULT_MAX_BODY_BYTES, DEFAULT_PAGE, MAX_PAGE } from "./http-kit.js";
export { DEFAULT_MAX_VIEWERS, DEFAULT_VIEWER_BUFFER_BYTES, LiveHub, type LiveOptions } from "./live.js";
export {
  DEFAULT_FAILURE_WINDOW_MS,
  DEFAULT_MAX_FAILURES,
  DEFAULT_MAX_TRACKED,
  LoginLimiter,
  type LoginLimiterOptions,
} from "./login-limiter.js";
export { type AdminCounters, type BrokerRegistry, brokerRegistry } from "./metrics.js";
export { REDACTED, redact } from "./redact.js";
export {
  type AdminOptions,
  type AdminServer,
  DEFAULT_ADMIN_MAX_CONNECTIONS,
  isLoopback,
  OPENAPI_FILE,
  startAdmin,
} from "./server.js";
