import { randomUUID } from "node:crypto";
import type { Broker, Logger } from "@amqtt/broker";
import { Bridge, type BridgeStatus } from "./bridge.js";
import { type BridgeConfig, type ParseBridgesOptions, parseBridges } from "./config.js";
import type { BridgeLeaseEngine } from "./lease-keeper.js";
import { NODE_TOPIC } from "./properties.js";

/** Options of {@link Bridges}. */
export interface BridgesOptions extends ParseBridgesOptions {
  /** Where bridges log (default: the broker's logger, child `bridge`). */
  logger?: Logger;
  /** How often the `$SYS/broker/bridge/<name>/...` topics are refreshed, in ms (default 10,000; 0: never). */
  sysIntervalMs?: number;
  /**
   * This broker's id in the 5.0 hop list of the messages its bridges carry,
   * retained on `$SYS/broker/bridge/node` (default: random per start).
   */
  nodeId?: string;
  /**
   * Run in a cluster: every node queues its own publishers' messages into the
   * shared store (a store every node shares, such as `@amqtt/store-redis`),
   * and each bridge connects from the one node holding the named lease
   * `bridge:<name>` in `engine` (the broker's cluster bus). Give every node
   * the same {@link nodeId} so the 5.0 hop list names the cluster.
   */
  cluster?: {
    engine: BridgeLeaseEngine;
    /** Lease length, ms (default 10,000): a dead runner's bridges move within it. */
    leaseMs?: number;
    /** How often an idle runner looks for what other nodes queued, ms (default 20). */
    pollMs?: number;
  };
}

const registry = new WeakMap<Broker, Bridges>();

/** The bridges attached to `broker` (for an admin API or metrics), if any. */
export function bridgesOf(broker: Broker): Bridges | undefined {
  return registry.get(broker);
}

/**
 * Every configured bridge of one broker. Start it after `broker.start()` and
 * stop it before `broker.stop()` (the queues live in the broker's store).
 * Bridges run independently: one that cannot reach its remote only queues.
 *
 * @example
 * ```ts
 * const broker = new Broker(config, { store });
 * await broker.start();
 * const bridges = Bridges.fromConfig(config.bridges, broker);
 * await bridges.start();
 * ```
 */
export class Bridges {
  readonly bridges: readonly Bridge[];
  /** This broker's id in the hop list (see {@link BridgesOptions.nodeId}). */
  readonly nodeId: string;
  private readonly sysIntervalMs: number;
  private sysTimer: ReturnType<typeof setInterval> | undefined;
  private readonly published = new Map<string, string>();

  constructor(
    configs: readonly BridgeConfig[],
    private readonly broker: Broker,
    options: BridgesOptions = {},
  ) {
    const logger = options.logger ?? broker.logger.child("bridge");
    this.nodeId = options.nodeId ?? randomUUID();
    const cluster = options.cluster;
    const inCluster =
      cluster === undefined
        ? undefined
        : { engine: cluster.engine, leaseMs: cluster.leaseMs ?? 10_000, pollMs: cluster.pollMs ?? 20 };
    this.bridges = configs.map((c) => new Bridge(c, broker, logger, this.nodeId, inCluster));
    this.sysIntervalMs = options.sysIntervalMs ?? 10_000;
    registry.set(broker, this);
  }

  /**
   * Validate a `bridges:` list (YAML as parsed, snake_case keys) and make the bridges.
   * @throws BridgeConfigError naming every bad field.
   */
  static fromConfig(config: unknown, broker: Broker, options: BridgesOptions = {}): Bridges {
    return new Bridges(parseBridges(config, options), broker, options);
  }

  /** Start every bridge (each loads its queue and connects in the background). */
  async start(): Promise<void> {
    if (this.bridges.length > 0)
      this.broker.publish({ topic: NODE_TOPIC, payload: this.nodeId, qos: 0, retain: true });
    await Promise.all(this.bridges.map((b) => b.start()));
    if (this.sysIntervalMs > 0 && this.bridges.length > 0) {
      this.publishSys();
      this.sysTimer = setInterval(() => this.publishSys(), this.sysIntervalMs);
      this.sysTimer.unref();
    }
  }

  /** Stop every bridge; queued messages stay in the store. */
  async stop(): Promise<void> {
    if (this.sysTimer !== undefined) clearInterval(this.sysTimer);
    this.sysTimer = undefined;
    await Promise.all(this.bridges.map((b) => b.stop()));
  }

  /** The state and counters of every bridge. */
  status(): BridgeStatus[] {
    return this.bridges.map((b) => b.status());
  }

  /** Publish each bridge's state under `$SYS/broker/bridge/<name>/` (retained, only what changed). */
  publishSys(): void {
    for (const s of this.status()) {
      const base = `$SYS/broker/bridge/${s.name}`;
      const values: [string, string][] = [
        [`${base}/state`, s.connected ? "connected" : "disconnected"],
        // Mosquitto's topic for the same fact, for dashboards made for it.
        [`$SYS/broker/connection/${s.name}/state`, s.connected ? "1" : "0"],
        [`${base}/address`, s.address],
        [`${base}/queued`, String(s.queued)],
        [`${base}/queued_bytes`, String(s.queuedBytes)],
        [`${base}/inflight`, String(s.inflight)],
        [`${base}/dropped`, String(s.dropped)],
        [`${base}/expired`, String(s.expired)],
        [`${base}/messages/in`, String(s.messagesIn)],
        [`${base}/messages/out`, String(s.messagesOut)],
        [`${base}/loops_prevented`, String(s.loopsPrevented)],
        [`${base}/connects`, String(s.connects)],
        [`${base}/last_error`, s.lastError ?? ""],
      ];
      for (const [topic, value] of values) {
        if (this.published.get(topic) === value) continue;
        this.published.set(topic, value);
        // An empty retained payload would clear the topic: last_error says "none" instead.
        this.broker.publish({ topic, payload: value === "" ? "none" : value, qos: 0, retain: true });
      }
    }
  }
}
