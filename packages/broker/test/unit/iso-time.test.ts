// The log's `time` field is formatted by arithmetic (no Date, so no date cache and
// ICU time zone in an idle broker); it must equal Date#toISOString everywhere.
import { seededRandom } from "@amqtt/test-utils";
import { describe, expect, it } from "vitest";
import { isoTime } from "../../src/iso-time.js";

describe("isoTime", () => {
  it("equals Date#toISOString at the edges of days, months, leap years and centuries", () => {
    const edges = [
      "1970-01-01T00:00:00.000Z",
      "1969-12-31T23:59:59.999Z",
      "2000-02-29T12:00:00.500Z",
      "1900-02-28T23:59:59.999Z",
      "1900-03-01T00:00:00.000Z",
      "2024-02-29T00:00:00.001Z",
      "2100-03-01T00:00:00.000Z",
      "0000-01-01T00:00:00.000Z",
      "0001-03-01T00:00:00.000Z",
      "9999-12-31T23:59:59.999Z",
    ];
    for (const text of edges) {
      const ms = Date.parse(text);
      expect(isoTime(ms)).toBe(text);
      expect(isoTime(ms + 1)).toBe(new Date(ms + 1).toISOString());
      expect(isoTime(ms - 1)).toBe(new Date(ms - 1).toISOString());
    }
  });

  it("equals Date#toISOString for 100,000 seeded random times in years 0000 to 9999, fractions included", () => {
    const random = seededRandom(19);
    const min = Date.parse("0000-01-01T00:00:00.000Z");
    const max = Date.parse("9999-12-31T23:59:59.999Z");
    for (let i = 0; i < 100_000; i++) {
      const ms = min + random() * (max - min);
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it("leaves times outside years 0000-9999 to Date (six-digit years), and throws on NaN as Date does", () => {
    const far = Date.parse("+010000-01-01T00:00:00.000Z");
    expect(isoTime(far)).toBe("+010000-01-01T00:00:00.000Z");
    expect(isoTime(-62_167_219_200_001)).toBe("-000001-12-31T23:59:59.999Z");
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});
