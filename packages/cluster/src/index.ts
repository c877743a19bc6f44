/**
 * @packageDocumentation
 * `@amqtt/cluster`: the contract between amqtt broker nodes and the engine they
 * share (membership with leases, session ownership with epochs, routes,
 * node-to-node envelopes), the in-process engine (`MemoryClusterEngine` with one
 * `MemoryClusterBus` per node), the route table every engine replicates
 * locally, and option defaults. The conformance suite is `@amqtt/cluster/conformance`.
 *
 * @example
 * ```ts
 * const engine = new MemoryClusterEngine();
 * const a = new MemoryClusterBus(engine, { nodeId: "a" });
 * const b = new MemoryClusterBus(engine, { nodeId: "b" });
 * await a.start(eventsOfA);
 * await b.start(eventsOfB);
 * await b.addRoute({ filter: "sensors/#", group: undefined });
 * a.match("sensors/1").nodes; // Set { "b" }
 * await a.send("b", "deliver", bytes); // eventsOfB.envelope(...) follows
 * ```
 */
export type {
  ClusterBus,
  ClusterEnvelope,
  ClusterEvents,
  ClusterNode,
  ClusterOptions,
  ClusterRoute,
  EngineStatus,
  NamedLease,
  RouteMatch,
  SessionClaim,
  SessionOwnership,
} from "./contract.js";
export {
  ClusterUnavailableError,
  InboxFullError,
  MAX_NODE_STATUS_BYTES,
  NodeStatusTooLargeError,
  RouteSyncTimeoutError,
  StaleEpochError,
} from "./contract.js";
export { MemoryClusterBus } from "./memory-bus.js";
export { MemoryClusterEngine } from "./memory-engine.js";
export {
  CLUSTER_DEFAULTS,
  ClusterOptionsError,
  type ResolvedClusterOptions,
  resolveClusterOptions,
} from "./options.js";
export { RouteTable, routeFromKey, routeKey } from "./route-table.js";
