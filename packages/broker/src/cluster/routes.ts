import type { ClusterRoute } from "@amqtt/cluster";
import { parseTopicFilter, SubscriptionTree } from "@amqtt/message";

/** Where a node's route changes go (the cluster bus, through the node's error handling). */
export interface RouteSink {
  /** The first local subscription under `route` appeared. */
  added(route: ClusterRoute): void;
  /** The last local subscription under `route` went. */
  removed(route: ClusterRoute): void;
}

/** The route a subscription filter (possibly `$share/<group>/<filter>`) falls under. */
export function routeOf(filter: string): ClusterRoute {
  const parsed = parseTopicFilter(filter);
  return { filter: parsed.filter, group: parsed.shareName };
}

/** The key of a route, as {@link RouteMatch.shared} spells shared groups: `group\u0000filter`. */
export function routeKey(route: ClusterRoute): string {
  return route.group === undefined ? route.filter : `${route.group}\u0000${route.filter}`;
}

/**
 * The subscription tree of a cluster node: the same tree, plus a count of
 * local subscriptions per route so the engine hears of a route only on the
 * first subscription under it and the last one leaving (not per subscriber).
 */
export class RoutedTree<V> extends SubscriptionTree<V> {
  private readonly counts = new Map<string, { route: ClusterRoute; count: number }>();

  constructor(private readonly sink: RouteSink) {
    super();
  }

  override add(filter: string, clientId: string, value: V): boolean {
    const isNew = super.add(filter, clientId, value);
    if (isNew) {
      const route = routeOf(filter);
      const key = routeKey(route);
      const held = this.counts.get(key);
      if (held !== undefined) held.count++;
      else {
        this.counts.set(key, { route, count: 1 });
        this.sink.added(route);
      }
    }
    return isNew;
  }

  override remove(filter: string, clientId: string): boolean {
    const removed = super.remove(filter, clientId);
    if (removed) {
      const route = routeOf(filter);
      const key = routeKey(route);
      const held = this.counts.get(key);
      if (held !== undefined && --held.count === 0) {
        this.counts.delete(key);
        this.sink.removed(route);
      }
    }
    return removed;
  }

  /** Whether this node has a local subscription under `route` now. */
  hasRoute(route: ClusterRoute): boolean {
    return this.counts.has(routeKey(route));
  }

  /** Every route this node holds now (re-announced after the engine comes back). */
  routes(): ClusterRoute[] {
    return [...this.counts.values()].map((r) => r.route);
  }
}
