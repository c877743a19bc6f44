import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytes, connected } from "./helpers.js";

describe("any chunking of the byte stream", () => {
  it("gives the same messages, acknowledgements and subscriptions whatever the chunk size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.constantFrom(3, 4, 5), (chunkSize, version) => {
        const p = connected(version as 3 | 4 | 5, { pair: { chunkSize } });
        p.onClient((c, now) => c.subscribe([{ topicFilter: "t/#", qos: 2 }], now));
        for (let i = 0; i < 4; i++) {
          p.onClient((c, now) =>
            c.publish({ topic: `t/${i}`, payload: bytes(`m${i}`), qos: (i % 3) as 0 | 1 | 2 }, now),
          );
          p.onServer((s, now) =>
            s.deliver({ topic: `t/${i}`, payload: bytes(`d${i}`), qos: ((i + 1) % 3) as 0 | 1 | 2 }, now),
          );
        }
        expect(p.events("server", "message").map((m) => m.topic)).toEqual(["t/0", "t/1", "t/2", "t/3"]);
        expect(p.events("client", "message").map((m) => m.topic)).toEqual(["t/0", "t/1", "t/2", "t/3"]);
        expect(p.events("client", "acked")).toHaveLength(2);
        expect(p.events("server", "acked")).toHaveLength(3);
        expect(p.events("client", "subscribed")).toHaveLength(1);
      }),
      { numRuns: 150 },
    );
  });
});
