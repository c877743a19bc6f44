import fc from "fast-check";
import { describe, it } from "vitest";
import { LossyPair, type PairConfig, type Step } from "./helpers/lossy-pair.js";

// MQTT needs an ordered, lossless byte stream per connection [MQTT-4.2-1]; messages
// are lost when a connection dies, and duplicated by the resends that follow. The
// first property runs that world exactly, with a tiny id space so ids are reused and
// run out. The second adds a wire that also repeats PUBLISH packets, swaps adjacent
// packets of different flows and (3.1.1) resends on a timer; it keeps the full id
// space, because a repeated acknowledgement that outlives its flow could complete a
// new flow that reused the id at once, which no id allocator can tell apart. Reusing
// ids as late as possible (the rotating cursor) is what makes that window 65535
// flows wide.

function steps(config: PairConfig, faults: { duplicates: boolean }): fc.Arbitrary<Step[]> {
  const refuse = config.protocolVersion === 5 ? fc.boolean() : fc.constant(false);
  const step = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant("publish" as const),
        qos: fc.constantFrom(1 as const, 2 as const),
        refuse,
      }),
    },
    { weight: 6, arbitrary: fc.constant({ op: "toReceiver" as const }) },
    { weight: 6, arbitrary: fc.constant({ op: "toSender" as const }) },
    { weight: 1, arbitrary: fc.constant({ op: "dropConnection" as const }) },
    { weight: 2, arbitrary: fc.constant({ op: "reconnect" as const }) },
    { weight: 1, arbitrary: fc.constant({ op: "restartFromSnapshots" as const }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 3000 }) }),
    },
    ...(faults.duplicates
      ? [
          { weight: 2, arbitrary: fc.constant({ op: "duplicatePublish" as const }) },
          {
            weight: 2,
            arbitrary: fc.record({
              op: fc.constant("swap" as const),
              direction: fc.constantFrom("toReceiver" as const, "toSender" as const),
            }),
          },
        ]
      : []),
  );
  return fc.array(step, { minLength: 1, maxLength: 150 });
}

function runAll(config: PairConfig, list: Step[]): void {
  const pair = new LossyPair(config);
  pair.run({ op: "reconnect" });
  for (const step of list) pair.run(step);
  pair.settle();
}

describe("a sender and a receiver over a lossy connection", () => {
  it("lose no QoS 1 message, deliver every QoS 2 message exactly once, keep the window and never reuse an id in flight, across loss and reconnect [MQTT-4.3.2-3] [MQTT-4.3.3-10] [MQTT-4.4.0-1] [MQTT-4.9.0-2] [MQTT-2.2.1-3]", () => {
    const config = fc.record({
      protocolVersion: fc.constantFrom(4 as const, 5 as const),
      receiveMaximum: fc.integer({ min: 1, max: 6 }),
      receiverEnforces: fc.constant(true),
      maxPacketId: fc.integer({ min: 1, max: 8 }),
      retryIntervalMs: fc.constant(0),
    });
    fc.assert(
      fc.property(
        config.chain((c) => fc.tuple(fc.constant(c), steps(c, { duplicates: false }))),
        ([c, list]) => runAll(c, list),
      ),
      { numRuns: 400 },
    );
  });

  it("also keep those guarantees when the wire repeats PUBLISH packets, reorders flows and 3.1.1 resends on a timer [MQTT-4.3.2-5] [MQTT-4.3.3-10] [MQTT-3.3.1-1]", () => {
    const config = fc.constantFrom(4 as const, 5 as const).chain((protocolVersion) =>
      fc.record({
        protocolVersion: fc.constant(protocolVersion),
        receiveMaximum: fc.integer({ min: 1, max: 6 }),
        receiverEnforces: fc.constant(false),
        maxPacketId: fc.constant(65_535),
        retryIntervalMs: protocolVersion === 4 ? fc.constantFrom(0, 500, 2000) : fc.constant(0),
      }),
    );
    fc.assert(
      fc.property(
        config.chain((c) => fc.tuple(fc.constant(c), steps(c, { duplicates: true }))),
        ([c, list]) => runAll(c, list),
      ),
      { numRuns: 400 },
    );
  });
});
