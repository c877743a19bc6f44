import type { Broker, ClientInfo, Logger, PluginMessage } from "@amqtt/broker";
import type { IncomingApplicationMessage, MQTTClient } from "@amqtt/client";
import {
  isFailure,
  type Packet,
  PacketType,
  type PublishPacket,
  type PubrelPacket,
  ReasonCode,
} from "@amqtt/codec";
import type { QueuedRecord } from "@amqtt/store";
import type { BridgeConfig } from "./config.js";
import { EchoGuard } from "./echo-guard.js";
import { BridgeStateError } from "./errors.js";
import { InboundLedger } from "./inbound-ledger.js";
import { type BridgeLeaseEngine, LeaseKeeper } from "./lease-keeper.js";
import { OutboundLedger } from "./outbound-ledger.js";
import { OutboundPump, type PriorState } from "./outbound-pump.js";
import { DurableOutbox } from "./outbox.js";
import { carriedBy, crossingProperties, NODE_TOPIC } from "./properties.js";
import { RemoteLink } from "./remote-link.js";
import { restoredSession } from "./restored-session.js";
import { TopicMap } from "./topic-map.js";

/** How often a cluster node reads the shared queue's counters again (ms). */
const REFRESH_MS = 1000;

/** `releaseLease` of `engine`, bound, when it has one. */
function releaseOf(engine: BridgeLeaseEngine): Pick<BridgeLeaseEngine, "releaseLease"> {
  const release = engine.releaseLease;
  return release === undefined ? {} : { releaseLease: release.bind(engine) };
}

/** Fingerprints the echo guard keeps, at most. */
const ECHO_CAPACITY = 10_000;

/** The state of one bridge, for `$SYS`, stats and an admin API. */
export interface BridgeStatus {
  name: string;
  connected: boolean;
  /** The remote address connected to (or tried next); never with credentials. */
  address: string;
  /** Outbound messages waiting for the remote (in flight included). */
  queued: number;
  queuedBytes: number;
  /** Outbound messages sent and not yet acknowledged. */
  inflight: number;
  /** Outbound messages refused by `max_queued_messages` / `max_queued_bytes` (or the store's bounds). */
  dropped: number;
  /** Outbound messages whose expiry passed while queued. */
  expired: number;
  /** Messages carried from the remote to the local broker. */
  messagesIn: number;
  /** Messages carried to the remote (acknowledged by it at QoS 1/2). */
  messagesOut: number;
  /** Messages not carried because they were our own coming back (No Local for 3.1.1, hop list, echo guard). */
  loopsPrevented: number;
  /** Inbound QoS 2 messages the remote sent again (DUP) after our restart, recognised and not published twice. */
  duplicatesDropped: number;
  /** Successful connections since start. */
  connects: number;
  lastError: string | undefined;
  /**
   * In a cluster: the node running the bridge now (holding its lease), or
   * `undefined` while none does. On the other nodes the link's values
   * (`connected`, `address`, counters) are the runner's, as of its last lease renewal.
   */
  runner?: string | undefined;
}

/** How a bridge runs in a cluster: on the one node holding its lease. */
export interface BridgeClusterOptions {
  /** The broker's cluster bus (named leases). */
  engine: BridgeLeaseEngine;
  /** Lease length in ms: a dead runner's bridge moves to another node within it. */
  leaseMs: number;
  /** How often the runner looks for what other nodes queued, when idle (ms). */
  pollMs: number;
}

/** The link's values a runner attaches to its lease, for the other nodes' status. */
type RunnerView = Omit<BridgeStatus, "name" | "queued" | "queuedBytes" | "runner">;

/**
 * One configured bridge inside a running broker: local messages matching its
 * `out`/`both` topics go to a durable queue in the broker's store and on to
 * the remote; remote messages matching `in`/`both` are published locally and
 * acknowledged to the remote once the broker holds them (after a store
 * flush when the store is persistent). A bridge never blocks local traffic:
 * the broker's routing only appends to the queue.
 */
export class Bridge {
  private readonly topics: TopicMap;
  private readonly outbox: DurableOutbox;
  private readonly ledger: InboundLedger;
  /** Outbound QoS 1/2 packet ids in flight, durable (persistent store and session only). */
  private readonly outLedger: OutboundLedger;
  private outLedgerOn = false;
  /** QoS 0 entries written to the remote are marked in the outbound ledger (a persistent store: a restart must not send them again). */
  private qos0MarksOn = false;
  /** Entries the current client's restored session resends. */
  private restoredSeqs = new Set<number>();
  /** DUP flags of inbound QoS 2 PUBLISH packets, by packet id, from the packet hook until their message event. */
  private readonly dupFlags = new Map<number, boolean>();
  private duplicatesDropped = 0;
  private readonly pump: OutboundPump;
  /** The connection to the remote; in a cluster only on the lease holder, a new one per term. */
  private link: RemoteLink | undefined;
  private readonly keeper: LeaseKeeper | undefined;
  /** Connections of the links of earlier terms. */
  private earlierConnects = 0;
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private readonly echo: EchoGuard | undefined;
  /** Payloads we published locally: the broker hands the same bytes to our own listener, which must not send them back. */
  private readonly ownInbound = new WeakSet<Uint8Array>();
  private readonly v5: boolean;
  private messagesIn = 0;
  private loopsPrevented = 0;
  private lastError: string | undefined;
  private unlisten: (() => void) | undefined;
  /** The remote broker's node id, when its bridges published one ({@link NODE_TOPIC}). */
  private remoteNode: string | undefined;
  private phase: "new" | "started" | "stopped" = "new";

  constructor(
    readonly config: BridgeConfig,
    private readonly broker: Broker,
    private readonly logger: Logger,
    /** This broker's node id in the hop list (shared by its bridges). */
    private readonly nodeId: string,
    /** In a cluster: run only while holding the bridge's lease. */
    cluster?: BridgeClusterOptions,
  ) {
    this.v5 = config.protocolVersion === 5;
    this.topics = new TopicMap(config.topics);
    const onError = (error: unknown): void => this.failed(error);
    this.outbox = new DurableOutbox(
      () => broker.store,
      `$bridge/${config.name}`,
      config.maxQueuedMessages,
      config.maxQueuedBytes,
      onError,
    );
    this.ledger = new InboundLedger(() => broker.store, `$bridge-in/${config.name}`, onError);
    this.outLedger = new OutboundLedger(() => broker.store, `$bridge-out/${config.name}`, onError);
    this.echo = config.echoGuard === "off" ? undefined : new EchoGuard(ECHO_CAPACITY, config.echoWindowMs);
    const engine = cluster?.engine;
    if (cluster !== undefined && engine?.acquireLease !== undefined) {
      this.keeper = new LeaseKeeper(
        { nodeId: engine.nodeId, acquireLease: engine.acquireLease.bind(engine), ...releaseOf(engine) },
        `bridge:${config.name}`,
        cluster.leaseMs,
        { gained: () => this.gained(), lost: () => this.lost() },
        () => JSON.stringify(this.runnerView()),
        logger,
      );
    } else if (cluster !== undefined) {
      throw new BridgeStateError("the cluster engine has no named leases (acquireLease)");
    }
    const keeper = this.keeper;
    this.pump = new OutboundPump(
      this.outbox,
      config.maxInflight,
      this.echo,
      onError,
      keeper === undefined ? undefined : () => keeper.valid(),
      cluster?.pollMs ?? 0,
      (seq) => this.priorOf(seq),
      (through) => this.outLedger.forget(through),
    );
    if (keeper === undefined) this.link = this.newLink();
  }

  private newLink(): RemoteLink {
    const keeper = this.keeper;
    return new RemoteLink(
      this.config,
      this.topics,
      {
        up: (client) => {
          // No session at the remote: nothing it sends now is a resend.
          if (!client.sessionPresent) this.ledger.clear();
          this.pump.start(client);
        },
        down: () => this.pump.pause(),
        message: (client, m) => this.fromRemote(client, m),
        packet: (packet) => this.packetFromRemote(packet),
        prepare: (client) => this.prepare(client),
        beforeSend: (_client, packet) => this.beforeSend(packet),
      },
      this.logger,
      keeper === undefined ? undefined : () => keeper.valid(),
    );
  }

  /** Cluster: this node took the bridge's lease; connect (a new client: the queue is read from its front). */
  private gained(): void {
    if (this.phase !== "started") return;
    this.logger.info(`bridge ${this.config.name}: running on this node (lease taken)`);
    this.outbox.refresh();
    const link = this.newLink();
    this.link = link;
    // The QoS 2 ledgers as the previous runner left them, before the remote resends anything.
    Promise.all([this.ledger.load(), this.qos0MarksOn ? this.outLedger.load() : undefined]).then(
      () => {
        if (this.link === link) link.start();
      },
      (error: unknown) => {
        this.failed(error);
        if (this.link === link) link.start();
      },
    );
  }

  /** Cluster: the lease is gone; stop sending at once and disconnect. */
  private lost(): void {
    const link = this.link;
    this.link = undefined;
    this.pump.pause();
    if (link === undefined) return;
    this.earlierConnects += link.connects;
    this.logger.warn(`bridge ${this.config.name}: lease lost; stopped on this node`);
    link.stop().catch((error: unknown) => this.failed(error));
  }

  /** Load the queue left by a previous run, listen to local messages and connect. The broker must be started. */
  async start(): Promise<void> {
    if (this.phase !== "new") throw new BridgeStateError(`bridge ${this.config.name} was started before`);
    this.phase = "started";
    await this.outbox.open();
    await this.ledger.load();
    // Only a durable store outlives us, and only a kept session at the remote remembers the ids.
    this.outLedgerOn = this.broker.store.persistent && !this.config.cleanStart;
    // Whatever the remote keeps, a QoS 0 message that left must never leave again after our restart.
    this.qos0MarksOn = this.broker.store.persistent;
    // Loaded with any persistent store (so whenever outLedgerOn too): QoS 0 marks, and QoS 1/2 flows.
    if (this.qos0MarksOn) await this.outLedger.load();
    const bounds = this.outbox.bounds();
    if (bounds.messages < this.config.maxQueuedMessages || bounds.bytes < this.config.maxQueuedBytes)
      this.logger.warn(
        `bridge ${this.config.name}: the store holds at most ${bounds.messages} messages / ${bounds.bytes} bytes per queue; raise the broker's max_queued_messages / max_queued_bytes to queue up to max_queued_messages ${this.config.maxQueuedMessages} / max_queued_bytes ${this.config.maxQueuedBytes}`,
      );
    if (this.topics.hasOutbound)
      this.unlisten = this.broker.on("message", (c, m, origin) => {
        // A message routed here by another node was queued by that node.
        if (origin !== "cluster") this.fromLocal(c, m);
      });
    if (this.config.retainedOnStart) await this.queueRetained();
    if (this.keeper === undefined) {
      this.link?.start();
      return;
    }
    // Other nodes append to the shared queue: its counters are read again now and then.
    this.refreshTimer = setInterval(() => this.outbox.refresh(), REFRESH_MS);
    this.refreshTimer.unref();
    this.keeper.start();
  }

  /** Stop listening, disconnect; what is queued stays in the store for the next start. */
  async stop(): Promise<void> {
    if (this.phase !== "started") return;
    this.phase = "stopped";
    this.unlisten?.();
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    this.pump.pause();
    await this.link?.stop();
    await this.pump.settled();
    // Released last: the next holder starts from what this one acknowledged.
    await this.keeper?.stop();
  }

  /** Counters and state. */
  status(): BridgeStatus {
    const usage = this.outbox.usage();
    const here: BridgeStatus = {
      name: this.config.name,
      queued: usage.count,
      queuedBytes: usage.bytes,
      ...this.runnerView(),
    };
    const keeper = this.keeper;
    if (keeper === undefined) return here;
    const holder = keeper.holder;
    if (keeper.valid() || holder === undefined)
      return { ...here, runner: keeper.valid() ? holder?.nodeId : undefined };
    // Another node runs the bridge: its link's values, as attached to its lease.
    let view: Partial<RunnerView> = {};
    try {
      view = JSON.parse(holder.info ?? "{}") as Partial<RunnerView>;
    } catch {
      view = {};
    }
    return { ...here, ...view, runner: holder.nodeId };
  }

  /** What this node's link and counters say (without the queue's counters). */
  private runnerView(): RunnerView {
    const link = this.link;
    const usage = this.outbox.usage();
    return {
      connected: link?.connected ?? false,
      address: link?.address ?? this.config.addresses[0] ?? "",
      inflight: this.pump.inFlight,
      dropped: usage.dropped + this.pump.counters.failed,
      expired: this.pump.counters.expired,
      messagesIn: this.messagesIn,
      messagesOut: this.pump.counters.sent,
      loopsPrevented: this.loopsPrevented,
      duplicatesDropped: this.duplicatesDropped,
      connects: this.earlierConnects + (link?.connects ?? 0),
      lastError: link?.lastError ?? this.lastError,
    };
  }

  /** Queue the local retained messages of the outbound topics (each once, whatever entries overlap). */
  private async queueRetained(): Promise<void> {
    const seen = new Set<string>();
    const now = Date.now();
    for (const filter of this.topics.localOutboundFilters()) {
      for (const r of await this.broker.store.matchRetained(filter)) {
        if (seen.has(r.topic) || (r.expiresAt !== undefined && r.expiresAt <= now)) continue;
        seen.add(r.topic);
        const message: PluginMessage = { topic: r.topic, payload: r.payload, qos: r.qos, retain: true };
        const properties = { ...r.properties };
        if (r.expiresAt !== undefined)
          properties.messageExpiryInterval = Math.ceil((r.expiresAt - now) / 1000);
        if (Object.keys(properties).length > 0) message.properties = properties;
        this.fromLocal(undefined, message);
      }
    }
  }

  /** A message routed by the local broker (synchronously, inside its routing). */
  private fromLocal(_client: ClientInfo | undefined, message: PluginMessage): void {
    if (this.ownInbound.has(message.payload)) return;
    const mapped = this.topics.toRemote(message.topic, message.qos);
    if (mapped === undefined) return;
    if (
      // 5.0: never back to a broker it has been on (here before, or the remote itself).
      (this.v5 &&
        (carriedBy(message.properties, this.nodeId) || carriedBy(message.properties, this.remoteNode))) ||
      (this.config.echoGuard === "both" && this.echo?.isEcho(mapped.topic, message.payload) === true)
    ) {
      this.loopsPrevented++;
      return;
    }
    const record: QueuedRecord = {
      topic: mapped.topic,
      payload: message.payload,
      qos: mapped.qos,
      retain: message.retain,
      enqueuedAt: Date.now(),
    };
    if (this.v5) {
      const properties = crossingProperties(message.properties, this.nodeId);
      if (properties !== undefined) record.properties = properties;
    }
    const expiry = message.properties?.messageExpiryInterval;
    if (expiry !== undefined) record.expiresAt = Date.now() + expiry * 1000;
    if (this.outbox.offer(record)) this.pump.queued();
  }

  /** A message from the remote: publish it locally, acknowledge once the broker holds it. */
  private fromRemote(client: MQTTClient, m: IncomingApplicationMessage): void {
    if (m.topic === NODE_TOPIC) {
      this.remoteNode = new TextDecoder().decode(m.data);
      client.acknowledge(m);
      return;
    }
    if (m.qos === 2 && m.packetId !== undefined) {
      const dup = this.dupFlags.get(m.packetId);
      this.dupFlags.delete(m.packetId);
      // A resend (DUP, or unknown) of an id the ledger holds: published before our restart, acknowledged again only.
      if (dup !== false && this.ledger.has(m.packetId)) {
        this.duplicatesDropped++;
        client.acknowledge(m);
        return;
      }
    }
    const echo = this.echo?.isEcho(m.topic, m.data) === true;
    const mapped = this.topics.toLocal(m.topic, m.qos);
    if (echo || carriedBy(m.properties, this.nodeId) || mapped === undefined) {
      if (echo || mapped !== undefined) this.loopsPrevented++;
      client.acknowledge(m);
      return;
    }
    // The broker's `message` event hands this very array (one per received PUBLISH) to fromLocal.
    const payload = m.data;
    this.ownInbound.add(payload);
    const properties = this.v5 ? crossingProperties(m.properties, undefined) : undefined;
    const expiry = m.properties.messageExpiryInterval;
    const local = {
      topic: mapped.topic,
      payload,
      qos: mapped.qos,
      retain: m.retain,
      ...(properties === undefined && expiry === undefined
        ? {}
        : {
            properties: { ...properties, ...(expiry === undefined ? {} : { messageExpiryInterval: expiry }) },
          }),
    };
    this.messagesIn++;
    if (m.qos === 0) {
      this.broker.publish(local);
      return;
    }
    // Written before the message's store writes: the PUBREC never leaves before its id is durable.
    if (m.qos === 2 && m.packetId !== undefined) this.ledger.add(m.packetId);
    // Held = as a client's PUBLISH before its PUBACK: routed (an async onPublish plugin
    // included), the copies for other cluster nodes in the engine, the store flushed.
    this.broker.publishDurably(local).then(
      () => client.acknowledge(m),
      (error: unknown) => this.failed(error),
    );
  }

  /** Every packet from the remote, before the client acts on it: DUP flags of QoS 2 PUBLISH, PUBREL, and our flows' acknowledgements. */
  private packetFromRemote(packet: Packet): void {
    if (
      packet.type === PacketType.PUBACK ||
      packet.type === PacketType.PUBCOMP ||
      (packet.type === PacketType.PUBREC && isFailure(packet.reasonCode ?? ReasonCode.SUCCESS))
    ) {
      // Recorded before the client can give the id to another message.
      const seq = this.outLedger.seqOf(packet.packetId);
      if (seq !== undefined) {
        this.outLedger.completed(seq);
        this.pump.restoredDone(seq);
      }
    } else if (packet.type === PacketType.PUBLISH) {
      if (packet.qos === 2 && packet.packetId !== undefined) this.dupFlags.set(packet.packetId, packet.dup);
    } else if (packet.type === PacketType.PUBREL) {
      // Issued before the client's PUBCOMP leaves (the id may be reused after it [MQTT-4.3.3-12]).
      this.ledger.release(packet.packetId);
    }
  }

  /** What an earlier run (or client) left of outbound entry `seq`. */
  private priorOf(seq: number): PriorState {
    if (this.qos0MarksOn && this.outLedger.wasTaken(seq)) return "done";
    if (!this.outLedgerOn) return undefined;
    const flow = this.outLedger.flow(seq);
    if (flow === undefined) return undefined;
    if (flow.done) return "done";
    // In flight, and resent by the current client's restored session; otherwise sent afresh.
    return this.restoredSeqs.has(seq) ? "restored" : undefined;
  }

  /** Before a new client connects: give it the outbound flows in flight, with their original ids. */
  private async prepare(client: MQTTClient): Promise<void> {
    this.restoredSeqs = new Set();
    if (!this.outLedgerOn) return;
    const live = this.outLedger.live();
    const last = live[live.length - 1];
    if (last === undefined) return;
    // Read the queue's front until it covers the newest flow (QoS 0 entries may sit between).
    let want = live.length + 256;
    let entries = await this.outbox.peek(want);
    while (entries.length === want && (entries[entries.length - 1]?.seq ?? 0) < last.seq) {
      want *= 2;
      entries = await this.outbox.peek(want);
    }
    const c = this.config;
    const { snapshot, seqs } = restoredSession(
      {
        protocolVersion: c.protocolVersion,
        clientId: c.clientId,
        sessionExpiryInterval: c.protocolVersion === 5 ? c.sessionExpiryInterval : 0xffff_ffff,
      },
      live,
      entries,
      this.outLedger.lastPacketId,
      Date.now(),
    );
    // A flow whose entry the queue no longer holds is over.
    for (const f of live) if (!seqs.has(f.seq)) this.outLedger.completed(f.seq);
    if (seqs.size === 0) return;
    try {
      client.restoreSession(snapshot);
    } catch (error) {
      // Never a reason to stay down: the flows then go out afresh (at least once).
      this.failed(error);
      return;
    }
    this.restoredSeqs = seqs;
    this.logger.info(
      `bridge ${c.name}: resending ${seqs.size} outbound message(s) in flight before the restart with their packet ids`,
    );
  }

  /**
   * The client's `beforeSend`: record a PUBLISH's packet id, a PUBREL's stage,
   * or that a QoS 0 entry left, durably before the packet leaves.
   */
  private beforeSend(packet: PublishPacket | PubrelPacket): PromiseLike<void> | undefined {
    const ledger = this.outLedger;
    if (packet.type === PacketType.PUBLISH && packet.qos === 0) {
      const seq = this.qos0MarksOn ? this.pump.sendingSeq(packet.payload) : undefined;
      return seq === undefined ? undefined : ledger.taken(seq);
    }
    if (!this.outLedgerOn || packet.packetId === undefined) return undefined;
    const id = packet.packetId;
    if (packet.type === PacketType.PUBLISH) {
      const seq = this.pump.sendingSeq(packet.payload);
      if (seq === undefined) return ledger.seqOf(id) === undefined ? undefined : ledger.pendingDurable();
      const flow = ledger.flow(seq);
      // A resend of a flow recorded already (after a reconnect): wait only for what is still unwritten.
      if (flow !== undefined && !flow.done && flow.packetId === id) return ledger.pendingDurable();
      return ledger.sent(seq, id);
    }
    const seq = ledger.seqOf(id);
    if (seq === undefined) return undefined;
    return ledger.flow(seq)?.stage === "pubrel" ? ledger.pendingDurable() : ledger.released(seq);
  }

  private failed(error: unknown): void {
    this.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.logger.warn(`bridge ${this.config.name}: ${this.lastError}`);
  }
}
