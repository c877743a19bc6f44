import type { StoredWill } from "@amqtt/store";

/** Wills of clients connected to other nodes, remembered at most (beyond it the newest are not kept, and counted). */
export const DEFAULT_MAX_REMOTE_WILLS = 100_000;

/**
 * The wills of clients connected to other nodes, by node. A node tells every
 * other node the will of each client that connects with one, and that it is
 * gone when the connection ends; when a node dies, the one node that adopts it
 * publishes what is left here for it (once, cluster-wide: `adoptNode` has one
 * winner).
 */
export class RemoteWills {
  private readonly byNode = new Map<string, Map<string, StoredWill>>();
  private count = 0;
  /** Wills not kept because the bound was reached. */
  refused = 0;

  constructor(readonly capacity: number = DEFAULT_MAX_REMOTE_WILLS) {}

  /** Wills remembered now. */
  get size(): number {
    return this.count;
  }

  /** `node`'s client `clientId` has `will` now (`undefined`: no will any more). */
  set(node: string, clientId: string, will: StoredWill | undefined): void {
    let wills = this.byNode.get(node);
    const had = wills?.has(clientId) ?? false;
    if (will === undefined) {
      if (had) {
        wills?.delete(clientId);
        this.count--;
      }
      return;
    }
    if (!had && this.count >= this.capacity) {
      this.refused++;
      return;
    }
    if (wills === undefined) {
      wills = new Map();
      this.byNode.set(node, wills);
    }
    wills.set(clientId, will);
    if (!had) this.count++;
  }

  /** Forget and return the wills of `node` (it died). */
  take(node: string): StoredWill[] {
    const wills = this.byNode.get(node);
    if (wills === undefined) return [];
    this.byNode.delete(node);
    this.count -= wills.size;
    return [...wills.values()];
  }
}
