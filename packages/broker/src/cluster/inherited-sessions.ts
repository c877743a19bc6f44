/** Nodes whose inherited sessions are remembered, at most (the oldest is forgotten first). */
export const MAX_INHERITED_NODES = 64;
/** Client ids remembered per node, at most (beyond it new ones are not remembered). */
export const MAX_INHERITED_PER_NODE = 100_000;

/**
 * The sessions this node took from another node without a hand-over: that
 * node died (or did not answer in time), so the session came from the store
 * the nodes share. When the dead node's inbox is adopted here, the messages it
 * never read are delivered to these sessions, and to no other subscriber of
 * this node (those got their own copies when the messages were published).
 * Bounded: {@link MAX_INHERITED_NODES} nodes of {@link MAX_INHERITED_PER_NODE} ids.
 */
export class InheritedSessions {
  private readonly byNode = new Map<string, Set<string>>();

  /** `clientId` was `node`'s and is this node's now. */
  add(node: string, clientId: string): void {
    let ids = this.byNode.get(node);
    if (ids === undefined) {
      if (this.byNode.size >= MAX_INHERITED_NODES) {
        const oldest = this.byNode.keys().next().value;
        if (oldest !== undefined) this.byNode.delete(oldest);
      }
      ids = new Set();
      this.byNode.set(node, ids);
    }
    if (ids.size < MAX_INHERITED_PER_NODE) ids.add(clientId);
  }

  /** The client ids taken from `node`, or `undefined` when none was. */
  of(node: string): ReadonlySet<string> | undefined {
    return this.byNode.get(node);
  }

  /** Nodes remembered now (for the bound's test). */
  get nodes(): number {
    return this.byNode.size;
  }

  /** Forget everything (the node left the cluster). */
  clear(): void {
    this.byNode.clear();
  }
}
