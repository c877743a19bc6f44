import { describe, expect, it } from "vitest";
import { Deque } from "../src/index.js";

describe("Deque", () => {
  it("keeps first-in first-out order across growth and wrap-around", () => {
    const q = new Deque<number>();
    const expected: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 3; i++) {
        q.push(next);
        expected.push(next++);
      }
      expect(q.shift()).toBe(expected.shift());
    }
    expect([...q]).toEqual(expected);
    expect(q.length).toBe(expected.length);
  });

  it("reads by position from the front and answers undefined outside it", () => {
    const q = new Deque<string>();
    expect([q.peek(), q.at(0), q.shift()]).toEqual([undefined, undefined, undefined]);
    for (const item of ["a", "b", "c", "d", "e", "f", "g", "h", "i"]) q.push(item);
    q.shift();
    q.push("j");
    expect([q.peek(), q.at(0), q.at(8), q.at(9), q.at(-1)]).toEqual(["b", "b", "j", undefined, undefined]);
  });
});
