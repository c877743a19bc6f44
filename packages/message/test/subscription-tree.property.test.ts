import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTopicFilter, SubscriptionTree, topicMatches } from "../src/index.js";

// Few distinct level names, so that random filters and topics often meet.
const level = fc.constantFrom("a", "b", "c", "", "$s");
const literalLevels = fc.array(level, { minLength: 1, maxLength: 4 });

const topicArb = literalLevels.map((l) => l.join("/")).filter((t) => t.length > 0);

const plainFilterArb = fc
  .tuple(fc.array(fc.oneof(level, fc.constant("+")), { minLength: 0, maxLength: 4 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, "#"] : levels).join("/"))
  .filter((f) => f.length > 0);

const filterArb = fc
  .tuple(plainFilterArb, fc.option(fc.constantFrom("g1", "g2"), { nil: undefined }))
  .map(([filter, group]) => (group === undefined ? filter : `$share/${group}/${filter}`));

const clientArb = fc.constantFrom("c1", "c2", "c3");

type Op = { kind: "add" | "remove"; filter: string; clientId: string };
const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<"add" | "remove">("add", "add", "remove"),
  filter: filterArb,
  clientId: clientArb,
});

/** Applies `ops` to a tree and to a plain Map model keyed by "filter\u0000clientId". */
function build(ops: Op[]): {
  tree: SubscriptionTree<number>;
  model: Map<string, { filter: string; clientId: string }>;
} {
  const tree = new SubscriptionTree<number>();
  const model = new Map<string, { filter: string; clientId: string }>();
  ops.forEach((op, i) => {
    const key = `${op.filter}\u0000${op.clientId}`;
    if (op.kind === "add") {
      expect(tree.add(op.filter, op.clientId, i)).toBe(!model.has(key));
      model.set(key, op);
    } else {
      expect(tree.remove(op.filter, op.clientId)).toBe(model.delete(key));
    }
  });
  return { tree, model };
}

describe("SubscriptionTree properties", () => {
  it("matches exactly what a brute-force topicMatches over every filter matches", () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 40 }),
        fc.array(topicArb, { minLength: 1, maxLength: 5 }),
        (ops, topics) => {
          const { tree, model } = build(ops);
          expect(tree.size).toBe(model.size);
          for (const topic of topics) {
            const result = tree.match(topic);
            const got = [
              ...result.subscriptions.map((s) => `${s.filter} ${s.clientId}`),
              ...result.sharedGroups.flatMap((g) =>
                g.members.map((m) => `$share/${g.shareName}/${g.filter} ${m.clientId}`),
              ),
            ].sort();
            const expected = [...model.values()]
              .filter(({ filter }) => topicMatches(parseTopicFilter(filter).filter, topic))
              .map(({ filter, clientId }) => `${filter} ${clientId}`)
              .sort();
            expect(got).toEqual(expected);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps no node once every subscription is removed again", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const { tree, model } = build(ops);
        for (const { filter, clientId } of model.values()) expect(tree.remove(filter, clientId)).toBe(true);
        expect(tree.size).toBe(0);
        expect(tree.nodeCount).toBe(1);
        expect([...tree]).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
