import { describe, expect, it } from "vitest";
import { DropLog } from "../../src/core/drop-log.js";
import { capturingLogger } from "../harness/logger.js";
import { ManualClock } from "../harness/manual-clock.js";

describe("the drop log", () => {
  it("logs a client's first drop at once, then at most one line per interval with the count since the last line", () => {
    const clock = new ManualClock();
    const { logger, lines } = capturingLogger();
    const log = new DropLog(logger, clock, 10_000);
    for (let i = 0; i < 1000; i++) log.dropped("slow", "t/1", "queue-full");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({ clientId: "slow", topic: "t/1", reason: "queue-full" });

    // Half an interval later nothing more is written, however many drops.
    clock.advance(5_000);
    for (let i = 0; i < 500; i++) log.dropped("slow", "t/2", "queue-full");
    expect(lines).toHaveLength(1);

    // One interval after the first line: one line carrying every drop since (999 + 500).
    clock.advance(5_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.fields).toMatchObject({ clientId: "slow", dropped: 1499, lastTopic: "t/2" });

    // A quiet interval writes nothing and forgets the client; its next drop is logged at once again.
    clock.advance(20_000);
    expect(lines).toHaveLength(2);
    expect(log.tracked).toBe(0);
    log.dropped("slow", "t/3", "queue-full");
    expect(lines).toHaveLength(3);
    expect(lines[2]!.fields).toMatchObject({ clientId: "slow", topic: "t/3" });
    log.close();
  });

  it("keeps one line per client: two clients dropping at once each get their own first line and summary", () => {
    const clock = new ManualClock();
    const { logger, lines } = capturingLogger();
    const log = new DropLog(logger, clock, 1_000);
    for (let i = 0; i < 10; i++) {
      log.dropped("a", "x", "queue-full");
      log.dropped("b", "y", "too-large");
    }
    expect(lines.map((l) => l.fields.clientId)).toEqual(["a", "b"]);
    clock.advance(1_000);
    expect(lines.slice(2).map((l) => [l.fields.clientId, l.fields.dropped])).toEqual([
      ["a", 9],
      ["b", 9],
    ]);
    log.close();
  });

  it("tracks at most maxClients clients: drops of more clients are summed into one line per interval (the bound)", () => {
    const clock = new ManualClock();
    const { logger, lines } = capturingLogger();
    const log = new DropLog(logger, clock, 1_000, 3);
    for (let c = 0; c < 100; c++) log.dropped(`c${c}`, "t", "queue-full");
    expect(log.tracked).toBe(3);
    // The three tracked clients got their first line; the 97 others are not logged one by one.
    expect(lines).toHaveLength(3);
    clock.advance(1_000);
    const summary = lines.find((l) => l.message === "messages dropped for other clients");
    expect(summary?.fields).toEqual({ dropped: 97, clients: 3, moreClients: true });
    expect(log.tracked).toBeLessThanOrEqual(3);
    log.close();
  });

  it("writes the counts not yet written when closed, and its timer stops", () => {
    const clock = new ManualClock();
    const { logger, lines } = capturingLogger();
    const log = new DropLog(logger, clock, 10_000);
    log.dropped("a", "t", "queue-full");
    log.dropped("a", "t", "queue-full");
    log.close();
    expect(lines).toHaveLength(2);
    expect(lines[1]!.fields).toMatchObject({ clientId: "a", dropped: 1 });
    clock.advance(60_000);
    expect(lines).toHaveLength(2);
  });
});
