import type { SharedGroup, Subscription } from "@amqtt/message";
import { describe, expect, it } from "vitest";
import type { SubscriptionEntry } from "../../src/core/delivery-target.js";
import { SharedPicker } from "../../src/core/shared.js";

/** A group member: only `clientId` and `value.target.online` matter to the picker. */
function member(clientId: string, online = true): Subscription<SubscriptionEntry> {
  return {
    clientId,
    filter: "jobs/#",
    shareName: "g",
    value: { target: { online } } as unknown as SubscriptionEntry,
  };
}

function group(...members: Subscription<SubscriptionEntry>[]): SharedGroup<SubscriptionEntry> {
  return { shareName: "g", filter: "jobs/#", members };
}

const picks = (picker: SharedPicker, g: SharedGroup<SubscriptionEntry>, n: number, topic = "jobs/1") =>
  Array.from({ length: n }, () => picker.pick(g, topic, "pub").clientId);

describe("shared subscription picking (5.0 section 4.8.2)", () => {
  it("gives each message to exactly one member, in turn with round-robin [MQTT-4.8.2-1]", () => {
    const picker = new SharedPicker("round-robin");
    expect(picks(picker, group(member("a"), member("b"), member("c")), 6)).toEqual([
      "a",
      "b",
      "c",
      "a",
      "b",
      "c",
    ]);
  });

  it("skips offline members while one is online", () => {
    const picker = new SharedPicker("round-robin");
    const g = group(member("a", false), member("b"), member("c", false));
    expect(picks(picker, g, 4)).toEqual(["b", "b", "b", "b"]);
  });

  it("queues for an offline member when no member is online", () => {
    const picker = new SharedPicker("round-robin");
    const chosen = picker.pick(group(member("a", false), member("b", false)), "jobs/1", "pub");
    expect(["a", "b"]).toContain(chosen.clientId);
  });

  it("keeps sending to the same member with sticky until it goes offline", () => {
    const picker = new SharedPicker("sticky");
    const a = member("a");
    const b = member("b");
    const first = picks(picker, group(a, b), 3);
    expect(new Set(first).size).toBe(1);
    const stuck = first[0] === "a" ? a : b;
    (stuck.value.target as { online: boolean }).online = false;
    const after = picker.pick(group(a, b), "jobs/1", "pub").clientId;
    expect(after).not.toBe(stuck.clientId);
  });

  it("maps one topic to one member with hash-topic, whatever the publisher", () => {
    const picker = new SharedPicker("hash-topic");
    const g = group(member("a"), member("b"), member("c"));
    const chosen = new Set(
      ["p1", "p2", "p3"].map((publisher) => picker.pick(g, "jobs/42", publisher).clientId),
    );
    expect(chosen.size).toBe(1);
  });

  it("maps one publisher to one member with hash-client-id, whatever the topic", () => {
    const picker = new SharedPicker("hash-client-id");
    const g = group(member("a"), member("b"), member("c"));
    const chosen = new Set(
      ["jobs/1", "jobs/2", "jobs/3"].map((topic) => picker.pick(g, topic, "p").clientId),
    );
    expect(chosen.size).toBe(1);
  });

  it("picks only online members with random", () => {
    const picker = new SharedPicker("random");
    const g = group(member("a", false), member("b"), member("c"));
    for (let i = 0; i < 50; i++) expect(["b", "c"]).toContain(picker.pick(g, "jobs/1", "p").clientId);
  });
});
