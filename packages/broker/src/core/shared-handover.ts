import type { PublishProperties } from "@amqtt/codec";
import { fromPlain, type PlainMessage, type SenderSnapshot } from "@amqtt/qos";

/** One QoS 1/2 message a session got through a shared subscription. */
export interface SharedDelivery {
  topic: string;
  payload: Uint8Array;
  shareName: string;
  /** The group's filter, without `$share/{shareName}/`. */
  filter: string;
}

/** A message to hand to another member of a shared subscription. */
export interface Handover {
  delivery: SharedDelivery;
  qos: 1 | 2;
  /** As last sent, Subscription Identifiers removed (they belonged to the old member). */
  properties: PublishProperties | undefined;
}

/** Most deliveries remembered per session, and most payload bytes they may hold. */
export const MAX_REMEMBERED_DELIVERIES = 1024;
export const MAX_REMEMBERED_BYTES = 4 * 1024 * 1024;

/**
 * The recent shared-subscription deliveries of one session, so that when the
 * session ends with some of them unacknowledged they go to another member of
 * the group (5.0 section 4.8.2: "If the Client's Session terminates before the
 * Client reconnects, the Server SHOULD send the Application Message to another
 * Client that is subscribed to the same Shared Subscription").
 *
 * The QoS machine knows what is unacknowledged; this log knows which of those
 * came through a group. At the end the two are joined by topic and payload
 * bytes, each logged delivery used once. Bounded by count and bytes, oldest
 * forgotten first: a message older than the bounds that is still unacknowledged
 * is not handed over (the in-flight window is far smaller in practice).
 */
export class SharedDeliveryLog {
  private readonly entries: SharedDelivery[] = [];
  private bytes = 0;

  /** Remember a QoS 1/2 delivery through group `shareName`/`filter`. */
  record(delivery: SharedDelivery): void {
    this.entries.push(delivery);
    this.bytes += delivery.payload.length;
    while (
      this.entries.length > MAX_REMEMBERED_DELIVERIES ||
      (this.bytes > MAX_REMEMBERED_BYTES && this.entries.length > 1)
    ) {
      this.bytes -= this.entries.shift()!.payload.length;
    }
  }

  /** Deliveries remembered now (for tests of the bounds). */
  get size(): number {
    return this.entries.length;
  }

  /**
   * The messages of `sender` the client never acknowledged that came through a
   * shared subscription. A QoS 2 message whose PUBREC arrived (stage `pubrel`)
   * reached the client and is not handed over.
   */
  unacknowledged(sender: SenderSnapshot): Handover[] {
    const pending: PlainMessage[] = [
      ...sender.inFlight.filter((f) => f.stage === "publish").map((f) => f.message),
      ...sender.waiting.map((w) => w.message),
    ];
    const out: Handover[] = [];
    for (const message of pending) {
      const payload = fromPlain(message.payload) as Uint8Array;
      const i = this.entries.findIndex((e) => e.topic === message.topic && sameBytes(e.payload, payload));
      if (i < 0) continue;
      const [delivery] = this.entries.splice(i, 1);
      let properties: PublishProperties | undefined;
      if (message.properties !== undefined) {
        const { subscriptionIdentifiers: _ids, ...rest } = fromPlain(message.properties) as PublishProperties;
        if (Object.keys(rest).length > 0) properties = rest;
      }
      out.push({ delivery: delivery!, qos: message.qos, properties });
    }
    return out;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
