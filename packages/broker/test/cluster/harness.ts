// Several brokers in one process, each a node of one MemoryClusterEngine
// (@amqtt/cluster's in-process engine, with its fault injection).
import { MemoryClusterBus, MemoryClusterEngine } from "@amqtt/cluster";
import type { BrokerConfigInput } from "../../src/config/schema.js";
import type { Broker, BrokerOptions } from "../../src/index.js";
import { startMemoryBroker } from "../harness/peer.js";
import { until } from "../harness/wait.js";

/** A cluster of brokers on one in-memory engine (stopped after the test with the harness's brokers). */
export interface MemoryCluster {
  engine: MemoryClusterEngine;
  brokers: Broker[];
  buses: MemoryClusterBus[];
}

/** Start `count` brokers as nodes `n0`, `n1`, ... of one engine, each seeing all the others. */
export async function startCluster(
  count: number,
  config: BrokerConfigInput = {},
  tuning: BrokerOptions["clusterTuning"] = {},
): Promise<MemoryCluster> {
  const engine = new MemoryClusterEngine();
  const brokers: Broker[] = [];
  const buses: MemoryClusterBus[] = [];
  for (let i = 0; i < count; i++) {
    const bus = new MemoryClusterBus(engine, { nodeId: `n${i}` });
    buses.push(bus);
    brokers.push(await startMemoryBroker(config, { cluster: bus, clusterTuning: tuning }));
  }
  await until(() => buses.every((b) => b.nodes().length === count));
  return { engine, brokers, buses };
}

/** Wait until `bus` (another node) sees a route of `node` matching `topic`. */
export async function routeSeen(
  bus: MemoryClusterBus,
  node: string,
  topic: string,
  group?: string,
): Promise<void> {
  await until(() => {
    const match = bus.match(topic);
    if (group === undefined) return match.nodes.has(node);
    for (const [key, nodes] of match.shared)
      if (key.startsWith(`${group}\u0000`) && nodes.has(node)) return true;
    return false;
  });
}
