// The shared delivery log on its own: which unacknowledged messages came through a
// shared subscription, bounded by count and bytes.
import { describe, expect, it } from "vitest";
import { SharedDeliveryLog } from "../../src/core/shared-handover.js";

describe("the shared delivery log", () => {
  const sender = (payloads: string[]) => ({
    version: 1 as const,
    kind: "qos-sender" as const,
    nextSeq: payloads.length + 1,
    inFlight: payloads.map((p, i) => ({
      seq: i + 1,
      packetId: i + 1,
      stage: "publish" as const,
      sentBefore: true,
      message: { topic: "t", payload: { $base64: btoa(p) }, qos: 1 as const, retain: false },
    })),
    waiting: [],
  });

  it("matches each logged delivery to one unacknowledged message only", () => {
    const log = new SharedDeliveryLog();
    const payload = new TextEncoder().encode("same");
    log.record({ topic: "t", payload, shareName: "g", filter: "t" });
    // Two identical unacknowledged messages, one of which came through the group.
    expect(log.unacknowledged(sender(["same", "same"]))).toHaveLength(1);
  });

  it("is bounded by count: the oldest deliveries are forgotten", () => {
    const log = new SharedDeliveryLog();
    for (let i = 0; i < 5000; i++)
      log.record({ topic: "t", payload: new Uint8Array(1), shareName: "g", filter: "t" });
    expect(log.size).toBe(1024);
  });

  it("is bounded by payload bytes", () => {
    const log = new SharedDeliveryLog();
    for (let i = 0; i < 10; i++)
      log.record({ topic: "t", payload: new Uint8Array(1024 * 1024), shareName: "g", filter: "t" });
    expect(log.size).toBe(4);
  });
});
