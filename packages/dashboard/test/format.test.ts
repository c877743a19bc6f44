import { describe, expect, it } from "vitest";
import {
  base64ToBytes,
  bytesToBase64,
  formatBytes,
  formatClock,
  formatCount,
  formatDuration,
  formatMillis,
  formatPayload,
  formatPercent,
  formatRate,
  protocolName,
} from "../app/src/lib/format.ts";

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [10 * 1024, "10 KiB"],
    [5.25 * 1024 * 1024, "5.3 MiB"],
    [3 * 1024 ** 4, "3.0 TiB"],
    [2048 * 1024 ** 4, "2048 TiB"],
    [-2048, "-2.0 KiB"],
  ])("%d bytes -> %s", (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it("shows a dash for a value that is not a number", () => {
    expect(formatBytes(Number.NaN)).toBe("–");
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe("–");
  });
});

describe("formatCount and formatRate", () => {
  it.each([
    [0, "0"],
    [999, "999"],
    [2.25, "2.3"],
    [1000, "1k"],
    [1234, "1.2k"],
    [123_456, "123k"],
    [2_500_000, "2.5M"],
    [7e9, "7G"],
  ])("%d -> %s", (n, text) => {
    expect(formatCount(n)).toBe(text);
  });

  it("appends /s, with byte units for bytes", () => {
    expect(formatRate(1500)).toBe("1.5k/s");
    expect(formatRate(1536, "bytes")).toBe("1.5 KiB/s");
    expect(formatRate(Number.NaN)).toBe("–");
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [59.9, "59s"],
    [61, "1m 1s"],
    [3600 + 5 * 60 + 7, "1h 5m"],
    [3 * 86_400 + 4 * 3600 + 1, "3d 4h"],
  ])("%d s -> %s", (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });

  it("shows a dash for negative or non-finite input", () => {
    expect(formatDuration(-1)).toBe("–");
    expect(formatDuration(Number.NaN)).toBe("–");
  });
});

describe("formatPercent and formatMillis", () => {
  it("rounds to one decimal, whole milliseconds from 10 ms", () => {
    expect(formatPercent(12.345)).toBe("12.3 %");
    expect(formatMillis(3.24)).toBe("3.2 ms");
    expect(formatMillis(120.6)).toBe("121 ms");
    expect(formatMillis(Number.NaN)).toBe("–");
  });
});

describe("formatClock", () => {
  it("shows the time alone on the same day and the date before it on another", () => {
    const now = new Date(2026, 11, 3, 12, 0, 0);
    expect(formatClock(new Date(2026, 11, 3, 9, 5, 7).getTime(), now)).toBe("09:05:07");
    expect(formatClock(new Date(2026, 10, 30, 23, 59, 1).toISOString(), now)).toBe("2026-11-30 23:59:01");
  });

  it("shows a dash for a time it cannot read", () => {
    expect(formatClock("not a time")).toBe("–");
  });
});

describe("formatPayload", () => {
  it("shows UTF-8 text as it is and cuts long text with an ellipsis", () => {
    expect(formatPayload("21.5 °C", "utf8")).toBe("21.5 °C");
    expect(formatPayload("abcdef", "utf8", 3)).toBe("abc…");
  });

  it("decodes base64 that is UTF-8 text, and shows other bytes as hex", () => {
    expect(formatPayload(bytesToBase64(new TextEncoder().encode("héllo")), "base64")).toBe("héllo");
    expect(formatPayload(bytesToBase64(new Uint8Array([0xff, 0x00, 0x1a])), "base64")).toBe("ff 00 1a");
  });

  it("round-trips bytes through base64", () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    expect([...base64ToBytes(bytesToBase64(bytes))]).toEqual([...bytes]);
  });
});

describe("protocolName", () => {
  it("names the MQTT protocol levels by their versions", () => {
    expect([3, 4, 5].map(protocolName)).toEqual(["3.1", "3.1.1", "5.0"]);
    expect(protocolName(9)).toBe("level 9");
  });
});
