export type {
  ClusterBus,
  ClusterEnvelope,
  ClusterEvents,
  ClusterNode,
  ClusterOptions,
  ClusterRoute,
  EngineStatus,
  RouteMatch,
  SessionClaim,
  SessionOwnership,
} from "./contract.js";
export { ClusterUnavailableError, StaleEpochError } from "./contract.js";
