import { PacketType, type PublishPacket } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { PublishRequests, QUEUE_SLOTS_KEPT } from "../src/publish-requests.js";

const publish = (packetId: number | undefined, qos: 0 | 1 | 2): PublishPacket =>
  ({
    type: PacketType.PUBLISH,
    topic: "t",
    payload: new Uint8Array(0),
    qos,
    retain: false,
    dup: false,
    ...(packetId === undefined ? {} : { packetId }),
  }) as PublishPacket;

/** Answer `requestId` with Success, as `PublishFlow.answerPublish` does. */
function answer(q: PublishRequests, requestId: number): void {
  const entry = q.pending(requestId);
  if (entry === undefined) throw new Error(`request ${requestId} is not pending`);
  entry.answered = true;
}

function drain(q: PublishRequests): number[] {
  const out: number[] = [];
  for (let e = q.takeReleasable(); e !== undefined; e = q.takeReleasable()) out.push(e.requestId);
  return out;
}

describe("PublishRequests: the array queue of held PUBLISH packets [MQTT-4.6.0-2]", () => {
  it("releases answered entries only from the head, in arrival order, whatever the answer order", () => {
    const q = new PublishRequests(100);
    const ids = [1, 2, 3, 4].map((id) => q.add(publish(id, 1)));
    answer(q, ids[2] as number);
    answer(q, ids[1] as number);
    expect(drain(q)).toEqual([]);
    answer(q, ids[0] as number);
    expect(drain(q)).toEqual([ids[0], ids[1], ids[2]]);
    expect(q.size).toBe(1);
    expect(q.unacknowledged).toBe(1);
    answer(q, ids[3] as number);
    expect(drain(q)).toEqual([ids[3]]);
    expect(q.size).toBe(0);
    expect(q.unacknowledged).toBe(0);
  });

  for (const held of [3, 40]) {
    // 40 entries: past the size at which a packet-id index is kept beside the queue.
    it(`finds held QoS 1/2 packet ids and forgets them once released (${held} held)`, () => {
      const q = new PublishRequests(1000);
      const ids: number[] = [];
      for (let p = 1; p <= held; p++) ids.push(q.add(publish(p, p % 2 === 0 ? 2 : 1)));
      q.add(publish(undefined, 0));
      for (let p = 1; p <= held; p++) expect(q.holds(p)).toBe(true);
      expect(q.holds(held + 1)).toBe(false);
      for (const id of ids) answer(q, id);
      expect(drain(q)).toEqual(ids);
      for (let p = 1; p <= held; p++) expect(q.holds(p)).toBe(false);
      expect(q.size).toBe(1);
    });
  }

  it("drops a ready resend from the middle and keeps the order of the rest", () => {
    const q = new PublishRequests(100);
    const first = q.add(publish(1, 1));
    q.addReady(publish(7, 2), []);
    const third = q.add(publish(3, 1));
    expect(q.holds(7)).toBe(true);
    q.dropReady(7);
    expect(q.holds(7)).toBe(false);
    expect(q.size).toBe(2);
    answer(q, third);
    answer(q, first);
    expect(drain(q)).toEqual([first, third]);
  });

  it("keeps only the unanswered QoS 0 requests when the connection ends, and takes them out by id", () => {
    const q = new PublishRequests(100);
    const a = q.add(publish(undefined, 0));
    q.add(publish(1, 1));
    const c = q.add(publish(undefined, 0));
    q.connectionEnded();
    expect(q.size).toBe(2);
    expect(q.unacknowledged).toBe(0);
    expect(q.takeQos0(c)?.requestId).toBe(c);
    expect(q.takeQos0(c)).toBeUndefined();
    expect(q.takeQos0(a)?.requestId).toBe(a);
    expect(q.size).toBe(0);
  });

  it("stays correct over a long backlog taken from the head (free slots are dropped in batches)", () => {
    const q = new PublishRequests(10_000);
    const ids: number[] = [];
    for (let i = 0; i < 3000; i++) ids.push(q.add(publish(i + 1, 1)));
    // Requests keep arriving behind the backlog while it is released one by one.
    const later: number[] = [];
    const order: number[] = [];
    for (const [i, id] of ids.entries()) {
      answer(q, id);
      order.push(...drain(q));
      if (i % 3 === 0) later.push(q.add(publish(undefined, 0)));
    }
    expect(order).toEqual(ids);
    expect(q.size).toBe(later.length);
    expect(q.holds(1)).toBe(false);
    for (const id of later) answer(q, id);
    expect(drain(q)).toEqual(later);
    expect(q.size).toBe(0);
  });

  for (const burst of [1, QUEUE_SLOTS_KEPT, QUEUE_SLOTS_KEPT + 1]) {
    it(`empties and fills again in order after a burst of ${burst} (slots kept up to ${QUEUE_SLOTS_KEPT})`, () => {
      const q = new PublishRequests(10_000);
      for (let round = 0; round < 2; round++) {
        const ids: number[] = [];
        for (let i = 0; i < burst; i++) ids.push(q.add(publish((i % 60_000) + 1, 1)));
        for (const id of ids) answer(q, id);
        expect(drain(q)).toEqual(ids);
        expect(q.size).toBe(0);
        expect(q.unacknowledged).toBe(0);
      }
      // The emptied queue takes one request and releases it as the first slot again.
      const next = q.add(publish(undefined, 0));
      expect(q.pending(next)?.requestId).toBe(next);
      answer(q, next);
      expect(drain(q)).toEqual([next]);
    });
  }
});
