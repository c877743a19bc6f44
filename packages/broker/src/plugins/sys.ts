import type { BrokerPlugin, BrokerStats, PluginContext } from "./types.js";

const PREFIX = "$SYS/broker/";
const encoder = new TextEncoder();
const MB = 1024 * 1024;

/** Process figures the `$SYS` topics report, injectable for tests. */
export interface ProcessMetrics {
  /** Resident set size in bytes. */
  rss(): number;
  /** CPU time used by the process so far, in microseconds. */
  cpuMicros(): number;
  /** Wall clock, ms since the epoch. */
  now(): number;
}

// The global `process`, not `import ... from "node:process"`: an ES import of a
// builtin reads every export, and `process.report` loads the diagnostic-report
// module (about 1.4 MB of RSS in an idle broker).
const nodeMetrics: ProcessMetrics = {
  rss: () => process.memoryUsage.rss(),
  cpuMicros: () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  },
  now: () => Date.now(),
};

/** The `sys` plugin; `publishNow()` sends one round of `$SYS` topics at once. */
export interface SysPlugin extends BrokerPlugin {
  /** Publish every periodic `$SYS` topic now (the timer calls this every `sys_interval`). */
  publishNow(): void;
}

/**
 * aMQTT's `BrokerSysPlugin` (option `sys_interval`, seconds, default 20; 0
 * turns the periodic topics off). At start, `$SYS/broker/version` is published
 * retained. Then every interval, not retained and at QoS 0, `$SYS/broker/...`:
 * load/bytes/received, load/bytes/sent, messages/received, messages/sent (all
 * packets), time (epoch seconds), uptime (seconds), uptime/formatted (the start
 * time in UTC, ISO 8601, as aMQTT), clients/connected, clients/disconnected,
 * clients/maximum, clients/total, messages/inflight(/in, /out, /stored),
 * messages/publish/received, messages/publish/sent, messages/publish/dropped
 * (messages dropped by a bound, as Mosquitto's `publish/messages/dropped`), messages/retained/count,
 * messages/subscriptions/count, heap/size and heap/maximum (MB of resident
 * memory), cpu/percent and cpu/maximum (of one core, since the last round), and
 * what the rate limits and caps did: limits/publish/throttled,
 * limits/publish/rate-disconnects, limits/connections/rate-limited,
 * limits/clients/refused-busy, limits/memory/dropped, limits/memory/used (bytes).
 *
 * A cluster node adds `cluster/node` (its id), `cluster/nodes` (live nodes),
 * `cluster/engine` (`up`/`down`), `cluster/messages/remote/in|out|duplicates|failed`,
 * `cluster/sessions/taken-over|handed-over|from-store`, `cluster/connects/refused` and
 * `cluster/routes/sync-timeouts` (SUBACKs sent before every node confirmed the route).
 *
 * `clients/maximum` is the most clients connected at once seen so far (aMQTT's
 * QUIRK reports the current count instead).
 */
export function createSysPlugin(context: PluginContext, metrics: ProcessMetrics = nodeMetrics): SysPlugin {
  const raw = context.options.sys_interval;
  const intervalSeconds = typeof raw === "number" && raw > 0 ? raw : 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let clientsMaximum = 0;
  let heapMaximum = 0;
  let cpuMaximum = 0;
  let lastCpu = metrics.cpuMicros();
  let lastWall = metrics.now();

  const send = (topic: string, value: string | number, retain = false) => {
    context.publish({ topic: PREFIX + topic, payload: encoder.encode(String(value)), qos: 0, retain });
  };

  const cpuPercent = (): number => {
    const cpu = metrics.cpuMicros();
    const wall = metrics.now();
    const elapsedMicros = (wall - lastWall) * 1000;
    const percent = elapsedMicros > 0 ? ((cpu - lastCpu) / elapsedMicros) * 100 : 0;
    lastCpu = cpu;
    lastWall = wall;
    return Math.round(percent * 10) / 10;
  };

  const plugin: SysPlugin = {
    name: "sys",
    start() {
      send("version", `amqtt version ${context.version}`, true);
      if (intervalSeconds > 0) {
        timer = setInterval(() => plugin.publishNow(), intervalSeconds * 1000);
        timer.unref(); // $SYS must never keep a process alive
      }
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
    publishNow() {
      const s: BrokerStats = context.stats();
      const now = metrics.now();
      clientsMaximum = Math.max(clientsMaximum, s.clientsMaximum, s.clientsConnected);
      const heap = Math.round((metrics.rss() / MB) * 10) / 10;
      heapMaximum = Math.max(heapMaximum, heap);
      const cpu = cpuPercent();
      cpuMaximum = Math.max(cpuMaximum, cpu);
      send("load/bytes/received", s.bytesReceived);
      send("load/bytes/sent", s.bytesSent);
      send("messages/received", s.messagesReceived);
      send("messages/sent", s.messagesSent);
      send("time", Math.floor(now / 1000));
      send("uptime", Math.max(0, Math.floor((now - s.startedAt) / 1000)));
      send("uptime/formatted", new Date(s.startedAt).toISOString());
      send("clients/connected", s.clientsConnected);
      send("clients/disconnected", s.clientsDisconnected);
      send("clients/maximum", clientsMaximum);
      send("clients/total", s.clientsTotal);
      send("messages/inflight", s.inflightIn + s.inflightOut);
      send("messages/inflight/in", s.inflightIn);
      send("messages/inflight/out", s.inflightOut);
      send("messages/inflight/stored", s.storedMessages);
      send("messages/publish/received", s.publishReceived);
      send("messages/publish/sent", s.publishSent);
      send("messages/publish/dropped", s.messagesDropped);
      send("messages/retained/count", s.retainedCount);
      send("messages/subscriptions/count", s.subscriptionsCount);
      send("heap/size", heap);
      send("heap/maximum", heapMaximum);
      send("cpu/percent", cpu);
      send("cpu/maximum", cpuMaximum);
      send("limits/publish/throttled", s.publishThrottled);
      send("limits/publish/rate-disconnects", s.rateLimitDisconnects);
      send("limits/connections/rate-limited", s.connectionsRateLimited);
      send("limits/clients/refused-busy", s.clientsRefusedBusy);
      send("limits/memory/dropped", s.memoryBudgetDrops);
      send("limits/memory/used", s.messageMemory);
      const c = s.cluster;
      if (c !== undefined) {
        // A cluster node: its own figures, and the cluster as it sees it (live nodes, engine).
        send("cluster/node", c.nodeId);
        send("cluster/nodes", c.nodes);
        send("cluster/engine", c.engine);
        send("cluster/messages/remote/in", c.remoteMessagesIn);
        send("cluster/messages/remote/out", c.remoteMessagesOut);
        send("cluster/messages/remote/duplicates", c.duplicatesDropped);
        send("cluster/messages/remote/failed", c.sendFailures);
        send("cluster/sessions/taken-over", c.sessionsTakenOver);
        send("cluster/sessions/handed-over", c.sessionsHandedOver);
        send("cluster/sessions/from-store", c.sessionsFromStore);
        send("cluster/connects/refused", c.connectsRefused);
        send("cluster/routes/sync-timeouts", c.routeSyncTimeouts);
      }
    },
  };
  return plugin;
}
