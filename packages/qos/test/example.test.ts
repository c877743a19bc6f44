import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";

describe("the README example (examples/reconnect.mjs)", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("delivers the QoS 2 message once, resends it with DUP after reconnect, and completes it", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => {
      lines.push(line);
    });
    await import("../examples/reconnect.mjs");
    expect(lines).toEqual([
      'receiver: delivered "42 kWh"',
      "-- connection lost, reconnecting --",
      "wire: PUBLISH 1 (DUP) ->",
      "wire: <- PUBREC 1",
      "wire: PUBREL 1 ->",
      "wire: <- PUBCOMP 1",
      "sender: message 1 completed",
    ]);
  });

  it("is quoted verbatim in the README", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const example = readFileSync(new URL("../examples/reconnect.mjs", import.meta.url), "utf8");
    expect(readme.includes(example)).toBe(true);
  });
});
