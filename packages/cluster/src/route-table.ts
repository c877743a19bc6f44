import { SubscriptionTree } from "@amqtt/message";
import type { ClusterRoute, RouteMatch } from "./contract.js";

/** The key of a shared group in {@link RouteMatch.shared} and of a route in a {@link RouteTable}. */
export function routeKey(route: ClusterRoute): string {
  return `${route.group ?? ""}\u0000${route.filter}`;
}

/** The route a {@link routeKey} names. */
export function routeFromKey(key: string): ClusterRoute {
  const at = key.indexOf("\u0000");
  const group = key.slice(0, at);
  return { filter: key.slice(at + 1), group: group === "" ? undefined : group };
}

/** The subscription-tree filter of a route (`$share/<group>/<filter>` for a shared one). */
function treeFilter(route: ClusterRoute): string {
  return route.group === undefined ? route.filter : `$share/${route.group}/${route.filter}`;
}

const EMPTY_NODES: ReadonlySet<string> = new Set();
const EMPTY_SHARED: ReadonlyMap<string, ReadonlySet<string>> = new Map();

/**
 * Which nodes have routes, and which nodes a topic must reach: a topic-filter
 * trie (`SubscriptionTree` of `@amqtt/message`, keyed by node id instead of
 * client id), so `match` costs what a local subscription match costs, however
 * many routes there are. Every engine keeps one as its local replica of the
 * cluster's routes.
 */
export class RouteTable {
  private readonly tree = new SubscriptionTree<true>();
  /** Route keys per node, to drop a node's routes at once. */
  private readonly byNode = new Map<string, Set<string>>();

  /** Number of (node, route) pairs. */
  get size(): number {
    return this.tree.size;
  }

  /**
   * Adds a route of `nodeId`; answers whether it is new (idempotent).
   * @throws InvalidTopicFilterError (from `@amqtt/message`) for an invalid filter or group.
   */
  add(nodeId: string, route: ClusterRoute): boolean {
    const added = this.tree.add(treeFilter(route), nodeId, true);
    if (added) {
      let keys = this.byNode.get(nodeId);
      if (keys === undefined) {
        keys = new Set();
        this.byNode.set(nodeId, keys);
      }
      keys.add(routeKey(route));
    }
    return added;
  }

  /** Removes a route of `nodeId`; answers whether it was there (idempotent). */
  remove(nodeId: string, route: ClusterRoute): boolean {
    const removed = this.tree.remove(treeFilter(route), nodeId);
    if (removed) {
      const keys = this.byNode.get(nodeId);
      keys?.delete(routeKey(route));
      if (keys?.size === 0) this.byNode.delete(nodeId);
    }
    return removed;
  }

  /** Whether `nodeId` has the route. */
  has(nodeId: string, route: ClusterRoute): boolean {
    return this.byNode.get(nodeId)?.has(routeKey(route)) ?? false;
  }

  /** The routes of `nodeId`. */
  routesOf(nodeId: string): ClusterRoute[] {
    return [...(this.byNode.get(nodeId) ?? [])].map(routeFromKey);
  }

  /** Every node with at least one route. */
  nodesWithRoutes(): string[] {
    return [...this.byNode.keys()];
  }

  /** Drops every route of `nodeId` (it left or died); answers how many. */
  removeNode(nodeId: string): number {
    const keys = this.byNode.get(nodeId);
    if (keys === undefined) return 0;
    const all = [...keys];
    for (const key of all) this.remove(nodeId, routeFromKey(key));
    return all.length;
  }

  /** Replaces every route of `nodeId` with `routes` (a full reload from the engine). */
  replaceNode(nodeId: string, routes: readonly ClusterRoute[]): void {
    const wanted = new Set(routes.map(routeKey));
    for (const key of [...(this.byNode.get(nodeId) ?? [])])
      if (!wanted.has(key)) this.remove(nodeId, routeFromKey(key));
    for (const route of routes) this.add(nodeId, route);
  }

  /**
   * The nodes `topic` must reach (a valid topic name): ordinary routes, and per
   * shared group (key `group\u0000filter`) the nodes with members. `$` topics
   * do not match filters starting with a wildcard [MQTT-4.7.2-1].
   * @param exclude - a node left out of the answer (the asking node itself).
   */
  match(topic: string, exclude?: string): RouteMatch {
    const result = this.tree.match(topic);
    let nodes: Set<string> | undefined;
    for (const s of result.subscriptions) {
      if (s.clientId === exclude) continue;
      nodes ??= new Set();
      nodes.add(s.clientId);
    }
    let shared: Map<string, Set<string>> | undefined;
    for (const group of result.sharedGroups) {
      let members: Set<string> | undefined;
      for (const m of group.members) {
        if (m.clientId === exclude) continue;
        members ??= new Set();
        members.add(m.clientId);
      }
      if (members === undefined) continue;
      shared ??= new Map();
      shared.set(`${group.shareName}\u0000${group.filter}`, members);
    }
    return { nodes: nodes ?? EMPTY_NODES, shared: shared ?? EMPTY_SHARED };
  }
}
