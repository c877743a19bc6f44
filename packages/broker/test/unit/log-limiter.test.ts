import { describe, expect, it } from "vitest";
import { LogLimiter } from "../../src/core/log-limiter.js";
import { capturingLogger } from "../harness/logger.js";

describe("LogLimiter (the bound on log lines per window)", () => {
  it("writes at most `burst` lines per window and counts the rest", () => {
    const now = 0;
    const { logger, lines } = capturingLogger();
    const limiter = new LogLimiter(logger, () => now, 3, 1000);
    for (let i = 0; i < 100; i++) limiter.log("info", "refused", { i });
    expect(lines).toHaveLength(3);
    expect(limiter.suppressed).toBe(97);
  });

  it("says how many lines it held back on the first line of the next window", () => {
    let now = 0;
    const { logger, lines } = capturingLogger();
    const limiter = new LogLimiter(logger, () => now, 2, 1000);
    for (let i = 0; i < 5; i++) limiter.log("warn", "refused", { i });
    now = 999;
    expect(limiter.log("warn", "refused", { i: 5 })).toBe(false);
    now = 1000;
    expect(limiter.log("warn", "refused", { i: 6 })).toBe(true);
    expect(lines.at(-1)).toEqual({ message: "refused", fields: { i: 6, suppressed: 4 } });
    expect(limiter.suppressed).toBe(0);
  });
});
