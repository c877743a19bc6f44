import type { AdminServer, BridgeStatusSource } from "@amqtt/admin";
import type { Broker, Logger } from "@amqtt/broker";

/**
 * Open the admin listener when the configuration has a `type: http` listener or
 * `--admin-port` asks for one (127.0.0.1, or the configured listener's host on
 * that port). Prints where the dashboard is. `bridges` (the configured ones)
 * show at `/api/v1/bridges` and in `/metrics`. Throws AdminConfigError (e.g. a
 * non-loopback bind without credentials); the caller stops the broker.
 * `worker` (under `--workers`) moves the port up by the worker's index.
 */
export async function openAdminListener(
  broker: Broker,
  adminPort: number | undefined,
  logger: Logger,
  bridges?: BridgeStatusSource,
  worker?: number,
): Promise<AdminServer | undefined> {
  const configured = broker.config.listeners.find((l) => l.type === "http");
  if (configured === undefined && adminPort === undefined) return undefined;
  // Imported only when an admin listener opens: a broker without one loads no HTTP server, prom-client or dashboard.
  const { startAdmin } = await import("@amqtt/admin");
  // Under --workers, worker i serves on the port + i: one /metrics per process (what Prometheus
  // scrapes as one target each); every worker's API answers for the whole cluster.
  const port = (adminPort ?? configured?.port ?? 9090) + (worker ?? 0);
  const override = adminPort !== undefined || (worker ?? 0) > 0;
  const admin = await startAdmin(broker, {
    logger: logger.child("admin"),
    ...(bridges === undefined ? {} : { bridges }),
    ...(override ? { bind: { host: configured?.host ?? "127.0.0.1", port } } : {}),
  });
  process.stdout.write(
    `amqtt admin: ${admin.url}/ (dashboard, API at ${admin.url}/api/v1, metrics at ${admin.url}/metrics)\n`,
  );
  return admin;
}
