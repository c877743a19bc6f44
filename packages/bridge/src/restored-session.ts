import type { SessionSnapshot } from "@amqtt/client";
import type { ProtocolVersion } from "@amqtt/codec";
import type { QueueEntry } from "@amqtt/store";
import type { OutboundFlow } from "./outbound-ledger.js";

/** What the restored client session needs besides the flows. */
export interface RestoreTarget {
  protocolVersion: ProtocolVersion;
  clientId: string;
  sessionExpiryInterval: number;
}

/** Bytes and nested values as a session snapshot holds them (`{ $base64 }` for bytes). */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $base64: Buffer.from(value).toString("base64") };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = plain(v);
    return out;
  }
  return value;
}

/**
 * A client session snapshot holding the outbound `flows` as in flight, each
 * with its queue entry's message, its original packet id and its stage, so the
 * client resends the PUBLISH (DUP) or the PUBREL [MQTT-4.4.0-1]. The
 * session's sequence numbers are the queue's. `entries` must hold every
 * flow's entry (flows without one are left out: the queue removed them).
 */
export function restoredSession(
  target: RestoreTarget,
  flows: readonly OutboundFlow[],
  entries: readonly QueueEntry[],
  lastPacketId: number,
  now: number,
): { snapshot: SessionSnapshot; seqs: Set<number> } {
  const bySeq = new Map(entries.map((e) => [e.seq, e]));
  const inFlight: SessionSnapshot["sender"]["inFlight"] = [];
  let nextSeq = 1;
  for (const flow of flows) {
    const entry = bySeq.get(flow.seq);
    if (entry === undefined || entry.qos === 0) continue;
    let properties = entry.properties;
    if (entry.expiresAt !== undefined)
      // A resend of what the remote may hold already: its expiry runs on, never below one second.
      properties = {
        ...properties,
        messageExpiryInterval: Math.max(1, Math.ceil((entry.expiresAt - now) / 1000)),
      };
    inFlight.push({
      seq: flow.seq,
      packetId: flow.packetId,
      // QoS 1 has no PUBREL stage.
      stage: entry.qos === 2 ? flow.stage : "publish",
      sentBefore: true,
      message: {
        topic: entry.topic,
        payload: plain(entry.payload) as { $base64: string },
        qos: entry.qos,
        retain: entry.retain,
        ...(properties === undefined ? {} : { properties: plain(properties) as never }),
      },
    });
    nextSeq = Math.max(nextSeq, flow.seq + 1);
  }
  const snapshot: SessionSnapshot = {
    version: 1,
    kind: "amqtt-session",
    role: "client",
    protocolVersion: target.protocolVersion,
    clientId: target.clientId,
    sessionExpiryInterval: target.sessionExpiryInterval,
    subscriptions: [],
    sender: {
      version: 1,
      kind: "qos-sender",
      nextSeq,
      ...(lastPacketId > 0 ? { nextPacketId: (lastPacketId % 65_535) + 1 } : {}),
      inFlight,
      waiting: [],
    },
    receiver: { version: 1, kind: "qos-receiver", awaitingRelease: [] },
  };
  return { snapshot, seqs: new Set(inFlight.map((e) => e.seq)) };
}
