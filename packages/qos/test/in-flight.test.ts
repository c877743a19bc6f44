import { describe, expect, it } from "vitest";
import { IN_FLIGHT_INDEX_FROM, IN_FLIGHT_SLOTS_KEPT, InFlightTable } from "../src/in-flight.js";
import type { InFlightEntry } from "../src/sender-types.js";

const entry = (packetId: number): InFlightEntry => ({
  seq: packetId,
  message: { topic: "t", payload: new Uint8Array(0), qos: 1 },
  packetId,
  stage: "publish",
  sentBefore: false,
  live: false,
  counted: false,
  lastSentAt: 0,
  done: false,
  slot: 0,
});

const ids = (table: InFlightTable) => table.list().map((e) => e.packetId);

describe("InFlightTable: the sender's messages in send order, by packet id [MQTT-4.6.0-1]", () => {
  for (const n of [3, IN_FLIGHT_INDEX_FROM + 4]) {
    it(`finds entries by packet id and keeps send order when some leave from the middle (${n} in flight)`, () => {
      const table = new InFlightTable();
      const entries = Array.from({ length: n }, (_, i) => entry(100 + i));
      for (const e of entries) table.add(e);
      expect(table.size).toBe(n);
      for (const e of entries) expect(table.get(e.packetId)).toBe(e);
      expect(table.get(99)).toBeUndefined();
      table.delete(entries[1] as InFlightEntry);
      table.delete(entries[0] as InFlightEntry);
      expect(table.get(100)).toBeUndefined();
      expect(table.get(101)).toBeUndefined();
      expect(ids(table)).toEqual(entries.slice(2).map((e) => e.packetId));
      const late = entry(7);
      table.add(late);
      expect(ids(table).at(-1)).toBe(7);
      expect(table.get(7)).toBe(late);
      // Deleting twice changes nothing.
      table.delete(entries[1] as InFlightEntry);
      expect(table.size).toBe(n - 1);
    });
  }

  for (const burst of [1, IN_FLIGHT_SLOTS_KEPT + 1]) {
    it(`empties and fills again after ${burst} in flight, and stays in order over a backlog taken from the head`, () => {
      const table = new InFlightTable();
      for (let round = 0; round < 2; round++) {
        const entries = Array.from({ length: burst }, (_, i) => entry(i + 1));
        for (const e of entries) table.add(e);
        for (const e of entries) table.delete(e);
        expect(table.size).toBe(0);
        expect(table.list()).toEqual([]);
      }
      // A backlog released one by one from the head while new ones join behind it.
      const backlog = Array.from({ length: 3 * IN_FLIGHT_SLOTS_KEPT }, (_, i) => entry(i + 1));
      for (const e of backlog) table.add(e);
      const joined: number[] = [];
      for (const [i, e] of backlog.entries()) {
        table.delete(e);
        if (i % 3 === 0) {
          const id = 50_000 + i;
          table.add(entry(id));
          joined.push(id);
        }
      }
      expect(ids(table)).toEqual(joined);
      for (const id of joined) expect(table.get(id)?.packetId).toBe(id);
    });
  }
});
