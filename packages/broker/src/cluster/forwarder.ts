import type { ClusterBus } from "@amqtt/cluster";
import type { SharedGroup } from "@amqtt/message";
import type { SubscriptionEntry } from "../core/delivery-target.js";
import { isSysTopic } from "../core/retained.js";
import type { ClientInfo, PluginMessage } from "../plugins/types.js";
import type { ClusterCounters } from "./cluster-stats.js";
import { type DeliverScope, encodeMessage, frameDelivery } from "./envelopes.js";
import { SendBatches } from "./send-batches.js";

/** Shared groups whose next node is remembered, at most (beyond it the rotation restarts). */
export const MAX_ROTATIONS = 10_000;

/**
 * The publishing side of cluster routing: one envelope per node whose routes
 * match (never a broadcast), the message encoded once for all of them; a
 * retained message goes to every node so each keeps the cluster's retained
 * set; each shared group's message goes to exactly one node (round robin over
 * the nodes with members, this one included).
 */
export class Forwarder {
  /** Sends of QoS 1/2 messages not yet taken by an acknowledgement waiting on them. */
  private writes: Promise<void>[] = [];
  private clearScheduled = false;
  private readonly rotation = new Map<string, number>();
  private readonly batches: SendBatches;

  constructor(
    private readonly bus: ClusterBus,
    private readonly counters: ClusterCounters,
    private readonly onSendFailed: (node: string, topic: string, error: unknown) => void,
    private readonly maxRotations: number = MAX_ROTATIONS,
    /** A retained message is being routed (a joining node's sync must not overwrite it). */
    private readonly onRetained: (topic: string) => void = () => undefined,
  ) {
    this.batches = new SendBatches(bus);
  }

  /** Route `message` to the other nodes; answers the local shared groups another node takes this time. */
  forward(
    client: ClientInfo | undefined,
    message: PluginMessage,
    localGroups: readonly SharedGroup<SubscriptionEntry>[],
    onlyGroups?: ReadonlySet<string>,
  ): ReadonlySet<SharedGroup<SubscriptionEntry>> | undefined {
    // Each node publishes its own `$SYS` topics.
    if (isSysTopic(message.topic)) return undefined;
    if (message.retain) this.onRetained(message.topic);
    const match = this.bus.match(message.topic);
    const retainCopies = message.retain && onlyGroups === undefined;
    if (match.nodes.size === 0 && match.shared.size === 0 && !retainCopies) return undefined;
    const scopes = new Map<string, DeliverScope & { groups: string[] }>();
    if (onlyGroups === undefined)
      for (const node of match.nodes) scopes.set(node, { to: node, ordinary: true, groups: [] });
    let elsewhere: Set<SharedGroup<SubscriptionEntry>> | undefined;
    if (match.shared.size > 0) {
      const self = this.bus.nodeId;
      for (const [key, nodes] of match.shared) {
        if (onlyGroups !== undefined && !onlyGroups.has(key)) continue;
        const local = localGroups.find((g) => `${g.shareName}\u0000${g.filter}` === key);
        const candidates = [...nodes].filter((n) => n !== self).sort();
        if (local !== undefined) candidates.unshift(self);
        if (candidates.length === 0) continue;
        const chosen = candidates[this.nextTurn(key) % candidates.length]!;
        if (chosen === self) continue;
        if (local !== undefined) {
          elsewhere ??= new Set();
          elsewhere.add(local);
        }
        let scope = scopes.get(chosen);
        if (scope === undefined) {
          scope = { to: chosen, ordinary: false, groups: [] };
          scopes.set(chosen, scope);
        }
        scope.groups.push(key);
      }
    }
    if (retainCopies)
      for (const node of this.bus.nodes())
        if (node.nodeId !== this.bus.nodeId && !scopes.has(node.nodeId))
          scopes.set(node.nodeId, { to: node.nodeId, ordinary: false, groups: [] });
    if (scopes.size === 0) return elsewhere;
    const bytes = encodeMessage({
      topic: message.topic,
      payload: message.payload,
      qos: message.qos,
      retain: message.retain,
      properties: message.properties,
      publisher:
        client === undefined
          ? undefined
          : { clientId: client.clientId, username: client.username, protocolVersion: client.protocolVersion },
    });
    for (const [node, scope] of scopes) {
      const sent = this.batches.add(node, frameDelivery(bytes, message.retain, scope));
      this.counters.remoteMessagesOut++;
      sent.catch((error: unknown) => this.onSendFailed(node, message.topic, error));
      if (message.qos > 0) this.held(sent);
    }
    return elsewhere;
  }

  /** Send a frame the adopter relays to `node` (see `relayFrame`); resolves once the engine holds it. */
  relay(node: string, frame: Uint8Array): Promise<void> {
    this.counters.remoteMessagesOut++;
    return this.batches.add(node, frame);
  }

  /**
   * The QoS 1/2 sends since the last call, as one promise that rejects when one
   * failed (`undefined`: none). A PUBACK/PUBREC waits for it: it goes out only
   * once the engine holds the message.
   */
  takeWrites(): Promise<unknown> | undefined {
    if (this.writes.length === 0) return undefined;
    const all = Promise.all(this.writes);
    this.writes = [];
    return all;
  }

  private held(sent: Promise<void>): void {
    this.writes.push(sent);
    // The acknowledgement that waits on these takes them in the same turn; sends
    // of the broker's own messages (wills, `broker.publish`) have none, so the
    // list is emptied after the turn instead of growing.
    if (!this.clearScheduled) {
      this.clearScheduled = true;
      queueMicrotask(() => {
        this.clearScheduled = false;
        this.writes = [];
      });
    }
  }

  /** Shared groups whose next node is remembered now (at most `maxRotations`). */
  get rotations(): number {
    return this.rotation.size;
  }

  private nextTurn(key: string): number {
    const n = this.rotation.get(key) ?? 0;
    if (this.rotation.size >= this.maxRotations && n === 0) this.rotation.clear();
    this.rotation.set(key, n + 1);
    return n;
  }
}
