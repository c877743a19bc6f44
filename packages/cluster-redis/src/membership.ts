import type { ClusterNode } from "@amqtt/cluster";

/** The engine's membership as one heartbeat saw it. */
export interface MembershipSnapshot {
  /** The engine's clock (ms). */
  readonly now: number;
  /** node id -> lease expiry (ms, engine clock). */
  readonly members: ReadonlyMap<string, number>;
  /** node id -> joinedAt of its current run (members and the dead not yet adopted). */
  readonly joined: ReadonlyMap<string, number>;
}

/** Reads the heartbeat script's flat lists. */
export function parseSnapshot(now: unknown, members: unknown, joined: unknown): MembershipSnapshot {
  const pairs = (flat: unknown) => {
    const map = new Map<string, number>();
    const list = Array.isArray(flat) ? flat : [];
    for (let i = 0; i + 1 < list.length; i += 2) map.set(String(list[i]), Number(list[i + 1]));
    return map;
  };
  return { now: Number(now), members: pairs(members), joined: pairs(joined) };
}

/** What changed since the previous snapshot, from this node's view. */
export interface MembershipChanges {
  readonly up: ClusterNode[];
  readonly down: string[];
}

/**
 * This node's view of the cluster: the live nodes, and which runs of which
 * nodes it has already reported down, so each dead run is reported exactly
 * once. A node is down when its lease lapsed (unless within the grace after an
 * engine outage, when the others have not had a chance to renew yet), when it
 * left (joined but no longer a member), or when it vanished (adopted by
 * another node before this one looked).
 */
export class MembershipView {
  private alive = new Map<string, ClusterNode>();
  /** `nodeId\0joinedAt` of the runs reported down. */
  private readonly reported = new Set<string>();

  constructor(private readonly self: string) {}

  /** The live nodes (this one included). */
  nodes(): ClusterNode[] {
    return [...this.alive.values()];
  }

  /** Whether `nodeId` is live in this view. */
  isAlive(nodeId: string): boolean {
    return this.alive.has(nodeId);
  }

  /**
   * Applies a snapshot. `initial`: the first one, whose nodes are not "joined" events.
   * `grace`: lapsed leases are not reported yet (just after an engine outage).
   */
  apply(snapshot: MembershipSnapshot, initial: boolean, grace: boolean): MembershipChanges {
    const up: ClusterNode[] = [];
    const down: string[] = [];
    const next = new Map<string, ClusterNode>();
    for (const [nodeId, expiry] of snapshot.members) {
      const joinedAt = snapshot.joined.get(nodeId);
      if (joinedAt === undefined) continue; // adopted between the two reads of the script: dead
      const run = `${nodeId}\u0000${joinedAt}`;
      const lapsed = expiry < snapshot.now;
      if (lapsed && nodeId !== this.self && !grace) {
        this.reportDown(run, nodeId, down);
        continue;
      }
      if (this.reported.has(run)) continue;
      const node: ClusterNode = { nodeId, joinedAt, leaseExpiresAt: expiry };
      next.set(nodeId, node);
      const before = this.alive.get(nodeId);
      if (!initial && nodeId !== this.self && before?.joinedAt !== joinedAt) up.push(node);
    }
    for (const [nodeId, joinedAt] of snapshot.joined)
      if (!snapshot.members.has(nodeId) && nodeId !== this.self)
        this.reportDown(`${nodeId}\u0000${joinedAt}`, nodeId, down);
    for (const [nodeId, node] of this.alive)
      if (nodeId !== this.self && next.get(nodeId)?.joinedAt !== node.joinedAt)
        this.reportDown(`${nodeId}\u0000${node.joinedAt}`, nodeId, down);
    this.alive = next;
    // Forget runs the engine forgot (adopted): the set stays as small as the dead-and-unadopted.
    for (const run of this.reported) {
      const [nodeId, joinedAt] = run.split("\u0000");
      if (snapshot.joined.get(nodeId as string) !== Number(joinedAt) && !this.alive.has(nodeId as string))
        this.reported.delete(run);
    }
    return { up, down };
  }

  private reportDown(run: string, nodeId: string, down: string[]): void {
    if (this.reported.has(run)) return;
    this.reported.add(run);
    if (!down.includes(nodeId)) down.push(nodeId);
  }
}
