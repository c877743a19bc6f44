import { createServer, type Socket } from "node:net";
import { freePort } from "@amqtt/test-utils";
import { describe, expect, it } from "vitest";
import {
  BoundedDatabase,
  createTopicAuthDbPlugin,
  createUserAuthDbPlugin,
  DatabaseBusyError,
  DatabaseUnavailableError,
  DEFAULT_POOL_LIMITS,
  parseConnectionUrl,
} from "../src/index.js";
import { mosquittoPub, startBroker } from "./helpers.js";

// A database that is down, silent or swamped denies: it never hangs a CONNECT.

/** aMQTT's spellings of the two network databases. */
const networkSchemes = ["postgresql+asyncpg", "mysql+aiomysql"] as const;

describe("an unavailable database", () => {
  it("refuses the CONNECT when nothing listens on the PostgreSQL or MySQL port, and logs it", async () => {
    for (const scheme of networkSchemes) {
      const port = await freePort();
      const warnings: string[] = [];
      const plugin = createUserAuthDbPlugin({
        connection: `${scheme}://u:hidden-pw@127.0.0.1:${port}/db`,
        timeout: 2,
      });
      const { port: brokerPort } = await startBroker([
        {
          ...plugin,
          start: (context) =>
            plugin.start?.({
              ...context,
              logger: { ...context.logger, warn: (m: string) => warnings.push(m) },
            }),
        },
      ]);
      expect((await mosquittoPub(brokerPort, "user", "pw")).code).not.toBe(0);
      expect(warnings.join("\n")).toMatch(/the auth database did not answer/);
      expect(warnings.join("\n")).not.toContain("hidden-pw");
    }
  });

  it("refuses the CONNECT after `timeout` seconds when the server accepts but never answers", async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const { port: brokerPort } = await startBroker([
        createUserAuthDbPlugin({ connection: `postgresql://u@127.0.0.1:${port}/db`, timeout: 1 }),
      ]);
      expect((await mosquittoPub(brokerPort, "user", "pw")).code).not.toBe(0);
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });

  it("denies publish, subscribe and receive when the topic database fails", async () => {
    const plugin = createTopicAuthDbPlugin({
      connection: `postgresql://u@127.0.0.1:${await freePort()}/db`,
      timeout: 1,
    });
    const client = {
      clientId: "c",
      username: "u",
      password: undefined,
      protocolVersion: 4 as const,
      listener: "default",
      remoteAddress: undefined,
      anonymous: false,
      attributes: new Map(),
    };
    const message = { topic: "a", payload: new Uint8Array(), qos: 0 as const, retain: false };
    expect(await plugin.authorizePublish?.(client, message)).toBe(false);
    expect(await plugin.authorizeSubscribe?.(client, "a/#", 0)).toBe(false);
    expect(await plugin.authorizeReceive?.(client, message)).toBe(false);
    expect(await plugin.authorizePublish?.({ ...client, username: undefined }, message)).toBeUndefined();
    await plugin.stop?.();
  });
});

describe("bounds", () => {
  it("queries waiting for the database are bounded (1000 by default); one more fails at once", async () => {
    expect(DEFAULT_POOL_LIMITS).toEqual({ size: 5, timeoutMs: 5000, maxPending: 1000 });
    const release: (() => void)[] = [];
    const hanging = {
      query: () => new Promise<never[]>((resolve) => release.push(() => resolve([]))),
      run: async () => 0,
      close: async () => {},
    };
    const db = new BoundedDatabase("postgresql", hanging, { ...DEFAULT_POOL_LIMITS, timeoutMs: 60_000 });
    const waiting = Array.from({ length: DEFAULT_POOL_LIMITS.maxPending }, () => db.query("SELECT 1"));
    expect(db.pendingCount).toBe(1000);
    await expect(db.query("SELECT 1")).rejects.toBeInstanceOf(DatabaseBusyError);
    for (const r of release) r();
    await Promise.all(waiting);
    expect(db.pendingCount).toBe(0);
    const after = db.query("SELECT 1");
    release.at(-1)?.();
    await expect(after).resolves.toEqual([]);
  });

  it("a query with no answer fails with DatabaseUnavailableError after the timeout", async () => {
    const never = { query: () => new Promise<never>(() => {}), run: async () => 0, close: async () => {} };
    const db = new BoundedDatabase("mysql", never, { ...DEFAULT_POOL_LIMITS, timeoutMs: 50 });
    await expect(db.query("SELECT 1")).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(db.pendingCount).toBe(0);
  });

  it.each([
    ["sqlite+aiosqlite:///auth.db", { dialect: "sqlite", file: "/base/auth.db" }],
    ["sqlite:////var/lib/auth.db", { dialect: "sqlite", file: "/var/lib/auth.db" }],
    [
      "postgresql+asyncpg://amqtt:p%40ss@db.local:5433/mqtt",
      {
        dialect: "postgresql",
        host: "db.local",
        port: 5433,
        user: "amqtt",
        password: "p@ss",
        database: "mqtt",
      },
    ],
    [
      "mariadb://root@localhost/x",
      {
        dialect: "mysql",
        host: "localhost",
        port: undefined,
        user: "root",
        password: undefined,
        database: "x",
      },
    ],
  ])("connection URL %s parses in aMQTT's SQLAlchemy spelling", (url, expected) => {
    expect(parseConnectionUrl(url, "/base")).toEqual(expected);
  });

  it("an unsupported database in a connection URL is refused", () => {
    expect(() => parseConnectionUrl("oracle://x")).toThrow(/unsupported database/);
  });
});
