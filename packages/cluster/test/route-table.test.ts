import { InvalidTopicFilterError } from "@amqtt/message";
import { describe, expect, it } from "vitest";
import { RouteTable, routeFromKey, routeKey } from "../src/index.js";

const plain = (filter: string) => ({ filter, group: undefined });

describe("RouteTable", () => {
  it("adds and removes idempotently and counts (node, route) pairs", () => {
    const t = new RouteTable();
    expect(t.add("a", plain("x/#"))).toBe(true);
    expect(t.add("a", plain("x/#"))).toBe(false);
    expect(t.add("b", plain("x/#"))).toBe(true);
    expect(t.size).toBe(2);
    expect(t.remove("a", plain("x/#"))).toBe(true);
    expect(t.remove("a", plain("x/#"))).toBe(false);
    expect([...t.match("x/1").nodes]).toEqual(["b"]);
  });

  it("removeNode and replaceNode drop exactly that node's routes", () => {
    const t = new RouteTable();
    t.add("a", plain("x"));
    t.add("a", { filter: "y/+", group: "g" });
    t.add("b", plain("x"));
    expect(t.removeNode("a")).toBe(2);
    expect(t.routesOf("a")).toEqual([]);
    t.replaceNode("b", [plain("z")]);
    expect(t.routesOf("b")).toEqual([plain("z")]);
    expect(t.match("x").nodes.size).toBe(0);
  });

  it("keys round-trip, groups included", () => {
    for (const r of [plain("a/+"), { filter: "#", group: "g" }]) expect(routeFromKey(routeKey(r))).toEqual(r);
  });

  it("refuses an invalid filter with the message package's typed error", () => {
    expect(() => new RouteTable().add("a", plain("a/#/b"))).toThrow(InvalidTopicFilterError);
  });
});
