import type { SessionAction } from "@amqtt/session";
import { describe, expect, it } from "vitest";
import { ACTION_LIST_MAX_KEPT, ACTION_LISTS_MAX_FREE, ActionLists } from "../../src/core/action-lists.js";

const pong = (): SessionAction => ({ kind: "pong" }) as SessionAction;

describe("action lists (reused per synchronous run)", () => {
  it("gives back an emptied list, which the next run takes again", () => {
    const lists = new ActionLists();
    const first = lists.take();
    first.push(pong(), pong());
    lists.give(first);
    expect(first).toHaveLength(0);
    expect(lists.take()).toBe(first);
  });

  it("hands a run nested inside another a list of its own", () => {
    const lists = new ActionLists();
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
    const lists = new ActionLists();
    const taken = Array.from({ length: ACTION_LISTS_MAX_FREE + 3 }, () => lists.take());
    for (const list of taken) lists.give(list);
    expect(lists.kept).toBe(ACTION_LISTS_MAX_FREE);
    const long = Array.from({ length: ACTION_LIST_MAX_KEPT + 1 }, pong);
    const fresh = new ActionLists();
    fresh.give(long);
    expect(fresh.kept).toBe(0);
    const atBound = Array.from({ length: ACTION_LIST_MAX_KEPT }, pong);
    fresh.give(atBound);
    expect(fresh.kept).toBe(1);
    expect(atBound).toHaveLength(0);
  });
});
