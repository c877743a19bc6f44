import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  connectionLimitDefault,
  FALLBACK_MAX_CONNECTIONS,
  FD_RESERVE,
  MAX_DERIVED_CONNECTIONS,
  parseOpenFilesLimit,
} from "../../src/config/fd-limit.js";
import { resolveBrokerConfig } from "../../src/config/resolve.js";
import { Broker, type Logger } from "../../src/index.js";

const limits = (soft: string, hard = soft) =>
  [
    "Limit                     Soft Limit           Hard Limit           Units     ",
    "Max cpu time              unlimited            unlimited            seconds   ",
    `Max open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files     `,
    "Max locked memory         8388608              8388608              bytes     ",
  ].join("\n");

describe("the connection limit default, from the open-files limit", () => {
  it("reads the soft limit of /proc/self/limits", () => {
    expect(parseOpenFilesLimit(limits("1024", "524288"))).toBe(1024);
    expect(parseOpenFilesLimit(limits("unlimited"))).toBe(Number.POSITIVE_INFINITY);
    expect(parseOpenFilesLimit("Max cpu time unlimited unlimited seconds")).toBeUndefined();
  });

  it("is the soft limit less a reserve, capped, with 10,000 where it cannot be derived", () => {
    expect(connectionLimitDefault(limits("65536"))).toEqual({ limit: 65536 - FD_RESERVE, openFiles: 65536 });
    expect(connectionLimitDefault(limits("unlimited")).limit).toBe(MAX_DERIVED_CONNECTIONS);
    // Too small to keep the reserve: the fallback, and the limit it saw for the log.
    expect(connectionLimitDefault(limits("200"))).toEqual({
      limit: FALLBACK_MAX_CONNECTIONS,
      openFiles: 200,
    });
    expect(connectionLimitDefault("no such line")).toEqual({
      limit: FALLBACK_MAX_CONNECTIONS,
      openFiles: undefined,
    });
  });

  it("is what a listener without max_connections gets, and max_clients too; max_connections still overrides", () => {
    const expected = connectionLimitDefault(readFileSync("/proc/self/limits", "utf8")).limit;
    const config = resolveBrokerConfig({
      listeners: { a: { bind: "127.0.0.1:0" }, b: { bind: "127.0.0.1:0", max_connections: 7 } },
    });
    expect(config.listeners.find((l) => l.name === "a")!.maxConnections).toBe(expected);
    expect(config.listeners.find((l) => l.name === "b")!.maxConnections).toBe(7);
    expect(config.rateLimits.maxClients).toBe(expected);
  });

  it("is said at start-up", async () => {
    const lines: { message: string; fields: unknown }[] = [];
    const logger: Logger = {
      debug() {},
      info: (message, fields) => {
        lines.push({ message, fields });
      },
      warn() {},
      error() {},
      child: () => logger,
    };
    const broker = new Broker(
      { listeners: { default: { bind: "127.0.0.1:0" } }, plugins: { "anonymous-auth": {} } },
      { logger },
    );
    await broker.start();
    await broker.stop();
    const line = lines.find((l) => l.message === "connection limits");
    const openFiles = parseOpenFilesLimit(readFileSync("/proc/self/limits", "utf8"));
    expect(line?.fields).toMatchObject({
      defaultMaxConnections: connectionLimitDefault().limit,
      from: `open-files limit ${openFiles} less a reserve`,
    });
  });
});
