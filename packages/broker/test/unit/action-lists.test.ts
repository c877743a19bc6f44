import { ListPool, type SessionAction } from "@amqtt/session";
import { describe, expect, it } from "vitest";
import { ACTION_LIST_MAX_KEPT, ACTION_LISTS_MAX_FREE, actionLists } from "../../src/core/action-lists.js";

/** A pool with the broker's bounds (a fresh one per test: `actionLists` is shared). */
const brokerPool = () => new ListPool<SessionAction>(actionLists.maxFree, actionLists.maxKept);

const pong = (): SessionAction => ({ kind: "pong" }) as SessionAction;

describe("action lists (reused per synchronous run)", () => {
  it("uses the broker's bounds", () => {
    expect([actionLists.maxFree, actionLists.maxKept]).toEqual([ACTION_LISTS_MAX_FREE, ACTION_LIST_MAX_KEPT]);
  });

  it("gives back an emptied list, which the next run takes again", () => {
    const lists = brokerPool();
    const first = lists.take();
    first.push(pong(), pong());
    lists.give(first);
    expect(first).toHaveLength(0);
    expect(lists.take()).toBe(first);
  });

  it("hands a run nested inside another a list of its own", () => {
    const lists = brokerPool();
    const outer = lists.take();
    const inner = lists.take();
    expect(inner).not.toBe(outer);
    inner.push(pong());
    outer.push(pong());
    lists.give(inner);
    expect(outer).toHaveLength(1);
    lists.give(outer);
  });

  it(`keeps at most ${ACTION_LISTS_MAX_FREE} lists, and none longer than ${ACTION_LIST_MAX_KEPT} actions`, () => {
    const lists = brokerPool();
    const taken = Array.from({ length: ACTION_LISTS_MAX_FREE + 3 }, () => lists.take());
    for (const list of taken) lists.give(list);
    expect(lists.kept).toBe(ACTION_LISTS_MAX_FREE);
    const long = Array.from({ length: ACTION_LIST_MAX_KEPT + 1 }, pong);
    const fresh = brokerPool();
    fresh.give(long);
    expect(fresh.kept).toBe(0);
    const atBound = Array.from({ length: ACTION_LIST_MAX_KEPT }, pong);
    fresh.give(atBound);
    expect(fresh.kept).toBe(1);
    expect(atBound).toHaveLength(0);
  });
});
