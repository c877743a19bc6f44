import type { ClusterBus, ClusterEnvelope } from "@amqtt/cluster";
import type { BrokerStore } from "@amqtt/store";
import { clientInfoAway } from "../core/client-info.js";
import { messageOf } from "../core/messages.js";
import type { Router } from "../core/router.js";
import type { BrokerConnection } from "../core/session-state.js";
import type { AppliedEnvelopes } from "./applied-envelopes.js";
import type { ClusterSessionRegistry } from "./cluster-sessions.js";
import type { ClusterCounters } from "./cluster-stats.js";
import {
  type DeliverScope,
  decodeDelivery,
  deliverFrames,
  type RemoteMessage,
  relayFrame,
} from "./envelopes.js";
import type { Forwarder } from "./forwarder.js";

/** What delivering other nodes' messages needs from the node. */
export interface RemoteDeliveryHost {
  readonly bus: ClusterBus;
  readonly store: BrokerStore;
  readonly router: Router;
  readonly counters: ClusterCounters;
  readonly forwarder: Forwarder;
  /** The cluster's session registry (`undefined` before the broker made it). */
  readonly sessions: ClusterSessionRegistry | undefined;
  /** A retained message is being routed (a joining node's sync must not overwrite it). */
  touchRetained(topic: string): void;
  /** Collect the connections handed QoS 1/2 copies live into `into` from now on (`undefined`: stop). */
  watchLiveDeliveries(into: Set<BrokerConnection> | undefined): void;
  /** Save a connected session once this synchronous run is done; resolves to whether it is stored. */
  saveAtTurnEnd(conn: BrokerConnection): Promise<boolean>;
  /** Where envelopes made durable in a store the nodes share are recorded (`undefined`: no shared store). */
  readonly applied: AppliedEnvelopes | undefined;
  warn(message: string, error: unknown): void;
}

interface Frame {
  frame: Uint8Array;
  message: RemoteMessage;
  scope: DeliverScope;
}

/**
 * Design: the receiving side of cluster routing. Envelopes are delivered in
 * the order the bus hands them over (the order per sending node), each frame
 * to the local subscribers its scope names, and acknowledged once what went
 * to offline queues is durable. A dead node's frames (its inbox, adopted here)
 * reach only the sessions taken from it, here and, relayed, on every other
 * node; they wait for CONNECTs being admitted here (whose sessions may come
 * from the store), and every later envelope waits behind them, so the order
 * holds. The wait is bounded by the bus's `maxUnackedEnvelopes` (reading pauses).
 */
export class RemoteDelivery {
  /** Envelopes waiting behind a dead node's frames, in order (`undefined`: none). */
  private held: Promise<void> | undefined;
  constructor(private readonly host: RemoteDeliveryHost) {}

  /** A deliver envelope from another node; `ack` once it is handled (durably when it must be). */
  deliver(envelope: ClusterEnvelope, ack: () => void): void {
    const frames = deliverFrames(envelope.body).map((frame) => ({ frame, ...decodeDelivery(frame) }));
    const self = this.host.bus.nodeId;
    const admits = frames.some((f) => f.scope.to !== self) ? this.host.sessions?.admitsSettled() : undefined;
    if (this.held === undefined && admits === undefined) {
      this.deliverNow(envelope, frames, ack);
      return;
    }
    const chain = (this.held ?? Promise.resolve())
      .then(() => admits)
      .then(() => this.deliverNow(envelope, frames, ack))
      .catch((error: unknown) => {
        // As for any envelope this node cannot process: dropped, loudly (it would come back forever).
        this.host.warn("an envelope from another node could not be processed", error);
        ack();
      });
    this.held = chain;
    void chain.then(() => {
      if (this.held === chain) this.held = undefined;
    });
  }

  private deliverNow(envelope: ClusterEnvelope, frames: readonly Frame[], ack: () => void): void {
    let durable = false;
    const relays: Promise<void>[] = [];
    // With a persistent store, a QoS 1/2 copy handed live to a connected persistent
    // session is in no stored state until that session is saved: the envelope is
    // acknowledged to the engine only after the save, so if this node dies, the
    // session the next node restores holds the message in flight (resent, DUP),
    // and before the save the engine still holds the envelope (delivered again).
    const live = this.host.store.persistent ? new Set<BrokerConnection>() : undefined;
    if (live !== undefined) this.host.watchLiveDeliveries(live);
    try {
      for (const f of frames) durable = this.deliverFrame(f, relays) || durable;
    } finally {
      if (live !== undefined) this.host.watchLiveDeliveries(undefined);
    }
    const saves: Promise<boolean>[] = [];
    if (live !== undefined) for (const conn of live) saves.push(this.host.saveAtTurnEnd(conn));
    if (!durable && relays.length === 0 && saves.length === 0) {
      ack();
      return;
    }
    // Held here before the engine forgets it: what went to offline queues and the live
    // sessions' saves are durable first, and what was relayed for a dead node's sessions
    // is in the engine.
    const store = this.host.store;
    const routing = durable ? this.host.router.takeAsyncRouting() : undefined;
    // With a shared store the envelope's id goes in the same batch, after its writes:
    // a node adopting this one's inbox after a crash skips what the store holds already.
    const applied = this.host.applied;
    const stored = Promise.all([routing, ...saves]).then((done) => {
      if (!durable && !done.slice(1).includes(true)) return undefined;
      applied?.record(envelope.from, envelope.id);
      return store.flush();
    });
    Promise.all([stored, ...relays]).then(
      () => {
        applied?.acknowledged(envelope.from, envelope.id);
        ack();
      },
      (error: unknown) =>
        this.host.warn("a message from another node could not be made durable (it comes again)", error),
    );
  }

  /** Deliver one routed message here; answers whether the envelope's acknowledgement waits for the store. */
  private deliverFrame({ frame, message, scope }: Frame, relays: Promise<void>[]): boolean {
    const host = this.host;
    host.counters.remoteMessagesIn++;
    if (message.retain) host.touchRetained(message.topic);
    // Adopted from a dead node: its shared groups' messages go to another member. Its
    // subscribers' sessions came from a store the nodes share (or resume elsewhere
    // from their own): only those taken from it get its ordinary messages, here and
    // (relayed once by this node, the adopter) on the others.
    const self = host.bus.nodeId;
    const adopted = scope.to !== self;
    if (adopted && scope.ordinary && scope.relayed !== true)
      for (const node of host.bus.nodes())
        if (node.nodeId !== self && node.nodeId !== scope.to)
          relays.push(host.forwarder.relay(node.nodeId, relayFrame(frame, scope.to)));
    const inherited = adopted && scope.ordinary ? host.sessions?.inherited.of(scope.to) : undefined;
    if (adopted && scope.groups.length === 0 && inherited === undefined) return false;
    const publisher = message.publisher;
    const client =
      publisher === undefined
        ? undefined
        : clientInfoAway(publisher.clientId, publisher.username, publisher.protocolVersion, "cluster");
    const m = messageOf({
      topic: message.topic,
      payload: message.payload,
      qos: message.qos,
      retain: message.retain,
      ...(message.properties === undefined ? {} : { properties: message.properties }),
    });
    host.router.acceptRemote(client, m, {
      ordinary: scope.ordinary && (!adopted || inherited !== undefined),
      // A relayed frame carries no shared group: the adopter delivered those.
      groups: new Set(scope.groups),
      anyNode: adopted,
      ...(inherited === undefined ? {} : { onlyClients: inherited }),
    });
    return host.store.persistent && message.qos > 0;
  }
}
