import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { topicMatches } from "../src/index.js";

/** A reference matcher written the obvious way (split into levels), to check the scanning one against. */
function referenceMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if (topic.startsWith("$") && (f[0] === "+" || f[0] === "#")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

describe("topicMatches", () => {
  // The examples of the non-normative comments of section 4.7.
  it.each([
    ["sport/tennis/player1/#", "sport/tennis/player1", true],
    ["sport/tennis/player1/#", "sport/tennis/player1/ranking", true],
    ["sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true],
    ["sport/#", "sport", true],
    ["#", "anything/at/all", true],
    ["sport/tennis/+", "sport/tennis/player1", true],
    ["sport/tennis/+", "sport/tennis/player2", true],
    ["sport/tennis/+", "sport/tennis/player1/ranking", false],
    ["sport/+", "sport", false],
    ["sport/+", "sport/", true],
    ["+/+", "/finance", true],
    ["/+", "/finance", true],
    ["+", "/finance", false],
    ["ACCOUNTS", "Accounts", false],
    ["/finance", "finance", false],
    ["a/b", "a/b", true],
    ["a/b", "a/bc", false],
    ["a/bc", "a/b", false],
    ["a/b", "a", false],
    ["a", "a/b", false],
    ["a/#", "a/", true],
    ["a//b", "a//b", true],
    ["a/+/b", "a//b", true],
  ])("filter %j against topic %j is %s", (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it.each([
    ["#", "$SYS/broker", false],
    ["+/monitor/Clients", "$SYS/monitor/Clients", false],
    ["$SYS/#", "$SYS/monitor/Clients", true],
    ["$SYS/monitor/+", "$SYS/monitor/Clients", true],
    ["+", "$SYS", false],
    ["#", "a/$SYS", true],
    ["a/+", "a/$x", true],
  ])("applies the $ rule: %j against %j is %s [MQTT-4.7.2-1]", (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it("does not normalize levels: it compares character for character [MQTT-4.7.3-4]", () => {
    expect(topicMatches("caf\u00e9", "cafe\u0301")).toBe(false);
    expect(topicMatches("a /b", "a/b")).toBe(false);
  });

  it("agrees with a split-based reference matcher on random filters and topics", () => {
    const level = fc.constantFrom("a", "b", "", "$a", "ab");
    const topic = fc
      .array(level, { minLength: 1, maxLength: 5 })
      .map((l) => l.join("/"))
      .filter((t) => t.length > 0);
    const filter = fc
      .tuple(fc.array(fc.oneof(level, fc.constant("+")), { minLength: 0, maxLength: 5 }), fc.boolean())
      .map(([levels, hash]) => (hash ? [...levels, "#"] : levels).join("/"))
      .filter((f) => f.length > 0);
    fc.assert(
      fc.property(filter, topic, (f, t) => {
        expect(topicMatches(f, t)).toBe(referenceMatches(f, t));
      }),
      { numRuns: 1000 },
    );
  });
});
