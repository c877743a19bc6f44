import type { ClusterBus } from "@amqtt/cluster";
import { ReasonCode } from "@amqtt/codec";
import type { BrokerStore } from "@amqtt/store";
import type { SessionRegistry } from "../broker/session-registry.js";
import type { ResolvedBrokerConfig } from "../config/resolve.js";
import type { RetainedStore } from "../core/retained.js";
import type { Router } from "../core/router.js";
import type { BrokerConnection, LocalDelivery } from "../core/session-state.js";
import type { Clock } from "../core/timers.js";
import type { Logger } from "../logger.js";
import { ClusterNode, type ClusterNodeOptions } from "./cluster-node.js";

/** The parts of the broker's core a cluster node reads (lazily: the node is built first). */
export interface ClusterCore {
  readonly store: BrokerStore;
  readonly router: Router;
  readonly retained: RetainedStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly connections: ReadonlySet<BrokerConnection>;
  readonly registry: SessionRegistry;
  /** Where live deliveries are watched ({@link LocalDelivery.liveDeliveries}). */
  readonly local: LocalDelivery;
  /** Save a connected session once this synchronous run is done; resolves to whether it is stored. */
  saveAtTurnEnd(conn: BrokerConnection): Promise<boolean>;
  warn(message: string, error: unknown): void;
}

/** The broker's core as a node of the cluster `bus`. */
export function clusterNodeOf(
  core: ClusterCore,
  bus: ClusterBus,
  config: ResolvedBrokerConfig,
  tuning: ClusterNodeOptions | undefined,
): ClusterNode {
  return new ClusterNode(
    bus,
    {
      get store() {
        return core.store;
      },
      get router() {
        return core.router;
      },
      get retained() {
        return core.retained;
      },
      get clock() {
        return core.clock;
      },
      get logger() {
        return core.logger;
      },
      maxQueued: config.limits.maxQueuedMessages,
      watchLiveDeliveries: (into) => {
        core.local.liveDeliveries = into;
      },
      saveAtTurnEnd: (conn) => core.saveAtTurnEnd(conn),
      warn: (message, error) => core.warn(message, error),
      dropSessions: () => {
        // The sessions may be another node's now: their clients reconnect and claim again.
        for (const c of core.connections) c.shutDown(ReasonCode.SESSION_TAKEN_OVER); // no will: the adopter has it
        core.registry.clear();
      },
    },
    {
      // An old owner's hand-over gets as long as any engine call.
      ...(config.cluster === undefined ? {} : { handOverTimeoutMs: config.cluster.requestTimeoutMs }),
      ...tuning,
    },
  );
}
