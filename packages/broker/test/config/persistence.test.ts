import { QosReceiver, QosSender } from "@amqtt/qos";
import { describe, expect, it, vi } from "vitest";
import {
  Broker,
  ConfigError,
  MemoryStore,
  parseBrokerConfigYaml,
  resolveBrokerConfig,
  silentLogger,
} from "../../src/index.js";

const base = { baseDir: "/srv/amqtt" };

function issuesOf(input: unknown): string[] {
  try {
    resolveBrokerConfig(input, base);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("no ConfigError");
}

describe("the persistence section", () => {
  it("leaves the choice to the embedding when it is absent", () => {
    expect(resolveBrokerConfig({}, base).persistence).toEqual({
      store: undefined,
      file: undefined,
      durability: "full",
      clearOnShutdown: false,
    });
  });

  it("puts amqtt.db in data_dir, relative to the config file's folder", () => {
    const p = resolveBrokerConfig({ persistence: { store: "sqlite", data_dir: "data" } }, base).persistence;
    expect(p).toMatchObject({ store: "sqlite", file: "/srv/amqtt/data/amqtt.db" });
  });

  it("takes an explicit file over data_dir, and the relaxed durability mode", () => {
    const p = resolveBrokerConfig(
      { persistence: { store: "sqlite", data_dir: "data", file: "/var/lib/b.db", durability: "relaxed" } },
      base,
    ).persistence;
    expect(p).toMatchObject({ file: "/var/lib/b.db", durability: "relaxed" });
  });

  it("refuses unknown keys and values with their key path", () => {
    expect(issuesOf({ persistence: { store: "redis" } })[0]).toMatch(/^persistence\.store: expected one of/);
    expect(issuesOf({ persistence: { dir: "x" } })[0]).toMatch(/^persistence: unknown key "dir"/);
    expect(issuesOf({ persistence: { store: "memory", data_dir: "x" } })[0]).toMatch(/need store: sqlite/);
  });
});

describe("aMQTT's SessionDBPlugin", () => {
  it("becomes SQLite persistence with aMQTT's defaults (amqtt.db, cleared at shutdown)", () => {
    const config = parseBrokerConfigYaml(
      "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin: {}\n  amqtt.contrib.persistence.SessionDBPlugin: {}\n",
      base,
    );
    expect(config.persistence).toEqual({
      store: "sqlite",
      file: "/srv/amqtt/amqtt.db",
      durability: "full",
      clearOnShutdown: true,
    });
    // It is not loaded as a plugin.
    expect(config.plugins.map((p) => p.name)).toEqual(["anonymous-auth"]);
  });

  it("reads the SQLite file from its SQLAlchemy connection URL and honours clear_on_shutdown", () => {
    const config = resolveBrokerConfig(
      {
        plugins: {
          "amqtt.plugins.authentication.AnonymousAuthPlugin": {},
          "amqtt.contrib.persistence.SessionDBPlugin": {
            connection: "sqlite+aiosqlite:///state/sessions.db",
            clear_on_shutdown: false,
          },
        },
      },
      base,
    );
    expect(config.persistence).toMatchObject({
      file: "/srv/amqtt/state/sessions.db",
      clearOnShutdown: false,
    });
  });

  it("works in aMQTT's list form of plugins too", () => {
    const config = resolveBrokerConfig(
      {
        plugins: [
          "amqtt.plugins.authentication.AnonymousAuthPlugin",
          "amqtt.contrib.persistence.SessionDBPlugin",
        ],
      },
      base,
    );
    expect(config.persistence.store).toBe("sqlite");
  });

  it("refuses a server database URL: only SQLite is served", () => {
    const issues = issuesOf({
      plugins: {
        "amqtt.contrib.persistence.SessionDBPlugin": { connection: "mysql+aiomysql://u:p@db/amqtt" },
      },
    });
    expect(issues[0]).toMatch(
      /^plugins\.amqtt\.contrib\.persistence\.SessionDBPlugin\.connection: only SQLite/,
    );
  });
});

describe("a broker and its configured persistence", () => {
  it("refuses to start on sqlite without a store passed in, saying how to pass one", () => {
    expect(
      () => new Broker({ persistence: { store: "sqlite", data_dir: "x" } }, { logger: silentLogger }),
    ).toThrow(/@amqtt\/store-sqlite/);
  });

  it("erases the store at a graceful stop when clear_on_shutdown is set", async () => {
    const store = new (class extends MemoryStore {
      override async close(): Promise<void> {
        await this.flush();
      }
    })();
    const broker = new Broker(
      {
        listeners: {},
        plugins: { "anonymous-auth": {} },
        persistence: { clear_on_shutdown: true },
      },
      { logger: silentLogger, store },
    );
    await broker.start();
    broker.publish({ topic: "kept/a", payload: "x", retain: true });
    await store.saveSession({
      version: 1,
      clientId: "old",
      protocolVersion: 4,
      sessionExpiryInterval: 60,
      subscriptions: [],
      outgoing: new QosSender({ protocolVersion: 4 }).snapshot(),
      incoming: new QosReceiver({ protocolVersion: 4 }).snapshot(),
    });
    await vi.waitFor(async () => expect(await store.listRetained()).toHaveLength(1));
    await broker.stop();
    expect(await store.listSessions()).toEqual([]);
    expect(await store.listRetained()).toEqual([]);
  });
});
