import type {
  ProtocolVersion,
  SubackPacket,
  SubscribePacket,
  SubscribeProperties,
  Subscription,
  UnsubackPacket,
  UnsubscribePacket,
} from "@amqtt/codec";
import { PacketType, ProtocolError, ReasonCode, SUBACK_FAILURE } from "@amqtt/codec";
import { checkTopicFilter, isSharedFilter } from "@amqtt/message";
import type { SubscribedAction, SubscriptionRequest, UnsubscribedAction } from "./actions.js";
import { SessionUsageError } from "./errors.js";

/** A subscription held by a session (plain data, part of the snapshot). */
export interface SessionSubscription extends Subscription {
  subscriptionIdentifier?: number;
}

/** A pending client request. */
interface PendingSubscribe {
  subscriptions: Subscription[];
  subscriptionIdentifier?: number;
}

/**
 * Client bookkeeping: SUBSCRIBE/UNSUBSCRIBE requests waiting for SUBACK/UNSUBACK
 * by packet id (bounded), and the subscriptions the server granted.
 */
export class ClientSubscriptions {
  private readonly pendingSubscribes = new Map<number, PendingSubscribe>();
  private readonly pendingUnsubscribes = new Map<number, string[]>();
  /** Granted subscriptions by topic filter. */
  readonly granted = new Map<string, SessionSubscription>();

  constructor(private readonly maxPending: number) {}

  /** Requests waiting for their answer. */
  get pendingCount(): number {
    return this.pendingSubscribes.size + this.pendingUnsubscribes.size;
  }

  /** @throws SessionUsageError when the bound on pending requests is reached. */
  assertRoom(): void {
    if (this.pendingCount >= this.maxPending) {
      throw new SessionUsageError(
        `${this.maxPending} SUBSCRIBE/UNSUBSCRIBE requests are already waiting for an answer`,
      );
    }
  }

  /** Remember a SUBSCRIBE sent with `packetId`. */
  addSubscribe(
    packetId: number,
    subscriptions: Subscription[],
    properties: SubscribeProperties | undefined,
  ): void {
    const entry: PendingSubscribe = { subscriptions };
    if (properties?.subscriptionIdentifier !== undefined)
      entry.subscriptionIdentifier = properties.subscriptionIdentifier;
    this.pendingSubscribes.set(packetId, entry);
  }

  /** Remember an UNSUBSCRIBE sent with `packetId`. */
  addUnsubscribe(packetId: number, topicFilters: string[]): void {
    this.pendingUnsubscribes.set(packetId, topicFilters);
  }

  /** Match a SUBACK; `undefined` when no request has its id; a `ProtocolError` when the code count is wrong. */
  resolveSuback(packet: SubackPacket): SubscribedAction | ProtocolError | undefined {
    const pending = this.pendingSubscribes.get(packet.packetId);
    if (pending === undefined) return undefined;
    this.pendingSubscribes.delete(packet.packetId);
    if (packet.reasonCodes.length !== pending.subscriptions.length) {
      return new ProtocolError(
        `SUBACK has ${packet.reasonCodes.length} reason codes for ${pending.subscriptions.length} subscriptions`,
      );
    }
    pending.subscriptions.forEach((sub, i) => {
      const code = packet.reasonCodes[i] as number;
      if (code >= 0x80) return;
      const held: SessionSubscription = { ...sub, qos: code as 0 | 1 | 2 };
      if (pending.subscriptionIdentifier !== undefined)
        held.subscriptionIdentifier = pending.subscriptionIdentifier;
      this.granted.set(sub.topicFilter, held);
    });
    return {
      kind: "subscribed",
      packetId: packet.packetId,
      subscriptions: pending.subscriptions,
      reasonCodes: packet.reasonCodes,
    };
  }

  /** Match an UNSUBACK; `undefined` when no request has its id. */
  resolveUnsuback(packet: UnsubackPacket): UnsubscribedAction | undefined {
    const filters = this.pendingUnsubscribes.get(packet.packetId);
    if (filters === undefined) return undefined;
    this.pendingUnsubscribes.delete(packet.packetId);
    const codes = packet.reasonCodes?.length ? packet.reasonCodes : filters.map(() => 0);
    filters.forEach((f, i) => {
      if ((codes[i] ?? 0) < 0x80) this.granted.delete(f);
    });
    return { kind: "unsubscribed", packetId: packet.packetId, topicFilters: filters, reasonCodes: codes };
  }

  /** The connection ended: requests without answers are void; their ids are released by the caller. */
  pendingIds(): number[] {
    return [...this.pendingSubscribes.keys(), ...this.pendingUnsubscribes.keys()];
  }

  /** Forget pending requests (connection gone). */
  clearPending(): void {
    this.pendingSubscribes.clear();
    this.pendingUnsubscribes.clear();
  }
}

/**
 * Server bookkeeping: check each SUBSCRIBE entry, hold requests until the shell
 * answers (bounded), build SUBACK/UNSUBACK in order, and keep the granted set.
 */
export class ServerSubscriptions {
  // Requests are answered within a few milliseconds and most sessions subscribe
  // once: the maps exist only while a request waits, not for the connection's life.
  private pendingSubscribes: Map<number, SubscriptionRequest[]> | undefined;
  private pendingUnsubscribes: Map<number, string[]> | undefined;
  /**
   * Granted subscriptions by topic filter, made on the first grant: a shell that
   * does not track them (the broker) never pays for an empty map per connection
   * (about 170 bytes of heap).
   */
  #granted: Map<string, SessionSubscription> | undefined;

  /**
   * @param track - keep the granted set (see `ServerSessionOptions.trackSubscriptions`).
   */
  constructor(
    private readonly maxPending: number,
    readonly track = true,
  ) {}

  /** Granted subscriptions by topic filter (always empty when not tracking). */
  get granted(): ReadonlyMap<string, SessionSubscription> {
    return this.#granted ?? NO_SUBSCRIPTIONS;
  }

  /** Whether the granted map is allocated (for tests of the lazy allocation). */
  get holdsGrantedMap(): boolean {
    return this.#granted !== undefined;
  }

  /** Keep `sub` as granted (a restored session's subscription); a no-op when not tracking. */
  grant(sub: SessionSubscription): void {
    if (!this.track) return;
    this.#granted ??= new Map();
    this.#granted.set(sub.topicFilter, sub);
  }

  /** True when no request waits and no granted map is held: the owner may let this go. */
  get holdsNothing(): boolean {
    return (
      this.pendingSubscribes === undefined &&
      this.pendingUnsubscribes === undefined &&
      this.#granted === undefined
    );
  }

  /** Requests waiting for the shell's answer. */
  get pendingCount(): number {
    return (this.pendingSubscribes?.size ?? 0) + (this.pendingUnsubscribes?.size ?? 0);
  }

  /** Whether the request maps are allocated (for tests of the lazy allocation). */
  get holdsRequestMaps(): boolean {
    return this.pendingSubscribes !== undefined || this.pendingUnsubscribes !== undefined;
  }

  /**
   * Check a SUBSCRIBE: an invalid filter is refused for that entry (0x8F in 5.0,
   * 0x80 in 3.1.1); No Local on a shared subscription is a Protocol Error
   * [MQTT-3.8.3-4]; too many unanswered requests is 0x97 Quota exceeded.
   */
  take(packet: SubscribePacket, version: ProtocolVersion): SubscriptionRequest[] | ProtocolError {
    if (this.pendingCount >= this.maxPending) {
      return new ProtocolError(`more than ${this.maxPending} unanswered SUBSCRIBE/UNSUBSCRIBE requests`, {
        reasonCode: ReasonCode.QUOTA_EXCEEDED,
      });
    }
    const v5 = version === 5;
    const requests: SubscriptionRequest[] = [];
    for (const sub of packet.subscriptions) {
      const request: SubscriptionRequest = { ...sub };
      const id = packet.properties?.subscriptionIdentifier;
      if (id !== undefined) request.subscriptionIdentifier = id;
      // 3.1.1 has no shared subscriptions: `$share/...` is an ordinary filter there.
      const invalid = checkTopicFilter(sub.topicFilter, { shared: v5 });
      if (invalid !== undefined) {
        request.refusedWith = v5 ? ReasonCode.TOPIC_FILTER_INVALID : SUBACK_FAILURE;
      } else if (v5 && sub.noLocal === true && isSharedFilter(sub.topicFilter)) {
        return new ProtocolError(`No Local on the shared subscription ${sub.topicFilter}`, {
          statement: "MQTT-3.8.3-4",
        });
      }
      requests.push(request);
    }
    this.pendingSubscribes ??= new Map();
    this.pendingSubscribes.set(packet.packetId, requests);
    return requests;
  }

  /** Hold an UNSUBSCRIBE until answered; a `ProtocolError` (0x97) when too many wait. */
  takeUnsubscribe(packet: UnsubscribePacket): ProtocolError | undefined {
    if (this.pendingCount >= this.maxPending) {
      return new ProtocolError(`more than ${this.maxPending} unanswered SUBSCRIBE/UNSUBSCRIBE requests`, {
        reasonCode: ReasonCode.QUOTA_EXCEEDED,
      });
    }
    this.pendingUnsubscribes ??= new Map();
    this.pendingUnsubscribes.set(packet.packetId, packet.topicFilters);
    return undefined;
  }

  /**
   * The shell's answer to a SUBSCRIBE: one code per entry (granted QoS or 0x80+).
   * Entries the machine refused keep their code. Codes come back in the order of
   * the filters [MQTT-3.9.3-1]; 3.1.1 failures become 0x80.
   * @throws SessionUsageError for an unknown packet id or a wrong number of codes.
   */
  answerSubscribe(packetId: number, codes: readonly number[], version: ProtocolVersion): SubackPacket {
    const requests = this.pendingSubscribes?.get(packetId);
    if (requests === undefined || this.pendingSubscribes === undefined)
      throw new SessionUsageError(`no SUBSCRIBE with packet id ${packetId} is waiting`);
    if (codes.length !== requests.length) {
      throw new SessionUsageError(
        `SUBSCRIBE ${packetId} has ${requests.length} entries, got ${codes.length} codes`,
      );
    }
    this.pendingSubscribes.delete(packetId);
    if (this.pendingSubscribes.size === 0) this.pendingSubscribes = undefined;
    const reasonCodes = requests.map((request, i) => {
      let code = request.refusedWith ?? (codes[i] as number);
      if (version !== 5 && code >= 0x80) code = SUBACK_FAILURE;
      if (code < 0x80 && this.track) {
        const { refusedWith: _r, ...sub } = request;
        this.grant({ ...sub, qos: Math.min(code, 2) as 0 | 1 | 2 });
      }
      return code;
    });
    return { type: PacketType.SUBACK, packetId, reasonCodes };
  }

  /**
   * The shell's answer to an UNSUBSCRIBE. Without `codes`, each filter gets 0x00
   * when it was subscribed and 0x11 (No subscription existed) otherwise.
   * @throws SessionUsageError for an unknown packet id or a wrong number of codes.
   */
  answerUnsubscribe(
    packetId: number,
    codes: readonly number[] | undefined,
    version: ProtocolVersion,
  ): UnsubackPacket {
    const filters = this.pendingUnsubscribes?.get(packetId);
    if (filters === undefined || this.pendingUnsubscribes === undefined)
      throw new SessionUsageError(`no UNSUBSCRIBE with packet id ${packetId} is waiting`);
    if (codes !== undefined && codes.length !== filters.length) {
      throw new SessionUsageError(
        `UNSUBSCRIBE ${packetId} has ${filters.length} filters, got ${codes.length} codes`,
      );
    }
    this.pendingUnsubscribes.delete(packetId);
    if (this.pendingUnsubscribes.size === 0) this.pendingUnsubscribes = undefined;
    const reasonCodes = filters.map((f, i) => {
      const given = codes?.[i];
      if (given !== undefined && given >= 0x80) return given;
      const existed = this.#granted?.delete(f) ?? false;
      return given ?? (existed ? ReasonCode.SUCCESS : ReasonCode.NO_SUBSCRIPTION_EXISTED);
    });
    const packet: UnsubackPacket = { type: PacketType.UNSUBACK, packetId };
    if (version === 5) packet.reasonCodes = reasonCodes;
    return packet;
  }
}

/** What `ServerSubscriptions.granted` reads before the first grant (never written). */
const NO_SUBSCRIPTIONS: ReadonlyMap<string, SessionSubscription> = new Map();
