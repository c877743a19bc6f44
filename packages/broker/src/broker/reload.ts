import type { ResolvedBrokerConfig } from "../config/resolve.js";
import type { RetainedStore } from "../core/retained.js";
import type { ConfigurableLogger, Logger, LogLevel } from "../logger.js";
import type { PluginManager } from "../plugins/plugin-manager.js";
import type { Listeners } from "./listeners.js";
import { planReload, type ReloadReport } from "./reload-plan.js";

/** What a reload touches in a running broker. */
export interface ReloadHost {
  /** The running configuration, updated in place with what is applied. */
  readonly config: ResolvedBrokerConfig;
  readonly endpoints: Listeners;
  readonly pluginManager: PluginManager | undefined;
  readonly retained: RetainedStore;
  readonly logger: Logger;
  /** The broker's own logger, when it made it (then logging settings can change); undefined when given one. */
  readonly ownLogger: ConfigurableLogger | undefined;
  /** The level of the own logger where `log_level` is not written. */
  readonly defaultLogLevel: LogLevel;
  /** Rebuild the session options of new connections from `config.limits`. */
  refreshSessionOptions(): void;
}

/**
 * Reload a running broker from `next` (the running configuration again when the
 * files alone changed): re-read TLS certificates (`setSecureContext`, open
 * connections stay up) and plugin files (password files, ACL files), apply the
 * settings that can change while running, and list every other change as
 * refused. Everything refused is logged at warn, never ignored silently.
 */
export async function reloadBroker(host: ReloadHost, next: ResolvedBrokerConfig): Promise<ReloadReport> {
  const { config, logger } = host;
  const plan = planReload(config, next);
  const report: ReloadReport = { applied: [], refused: [...plan.refused] };

  for (const outcome of host.endpoints.reloadTls(plan.tls)) {
    const key = `listeners.${outcome.listener}.tls`;
    if (outcome.error === undefined) {
      report.applied.push(key);
      const listener = config.listeners.find((l) => l.name === outcome.listener);
      const tls = next.listeners.find((l) => l.name === outcome.listener)?.tls;
      if (listener !== undefined && tls !== undefined) listener.tls = tls;
    } else report.refused.push({ key, reason: `certificate files not reloaded: ${outcome.error}` });
  }

  for (const outcome of (await host.pluginManager?.reload()) ?? []) {
    const key = `plugins.${outcome.plugin}`;
    if (outcome.error === undefined) report.applied.push(key);
    else
      report.refused.push({
        key,
        reason: `files not reloaded, the plugin keeps what it had: ${outcome.error}`,
      });
  }

  for (const setting of plan.live) {
    setting.copy(config, next);
    report.applied.push(setting.key);
  }
  host.retained.maxAgeMs = config.limits.retainedMessageExpiry * 1000;
  if (plan.live.length > 0) host.refreshSessionOptions();

  if (plan.logging.length > 0) {
    if (host.ownLogger === undefined)
      for (const key of plan.logging)
        report.refused.push({
          key,
          reason: "the broker was given its logger: configure that logger instead",
        });
    else {
      host.ownLogger.configure({
        level: next.logging.level ?? host.defaultLogLevel,
        levels: next.logging.levels,
        format: next.logging.format,
      });
      config.logging = next.logging;
      report.applied.push(...plan.logging);
    }
  }

  for (const warning of next.warnings) logger.warn(warning);
  logger.info("configuration reloaded", { applied: report.applied });
  for (const r of report.refused) logger.warn(`not reloaded: ${r.key}: ${r.reason}`);
  return report;
}
