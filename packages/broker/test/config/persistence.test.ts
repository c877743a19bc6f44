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
    expect(issuesOf({ persistence: { store: "mongodb" } })[0]).toMatch(
      /^persistence\.store: expected one of/,
    );
    expect(issuesOf({ persistence: { dir: "x" } })[0]).toMatch(/^persistence: unknown key "dir"/);
    expect(issuesOf({ persistence: { store: "memory", data_dir: "x" } })[0]).toMatch(/need store: sqlite/);
  });
});

describe("store: redis", () => {
  it("takes one Redis server, its password file and key prefix", () => {
    const p = resolveBrokerConfig(
      {
        persistence: {
          store: "redis",
          redis: "redis://broker@10.0.0.5:6379/2",
          password_file: "secrets/redis",
          key_prefix: "site-a:",
        },
      },
      base,
    ).persistence;
    expect(p).toMatchObject({
      store: "redis",
      redis: { url: "redis://broker@10.0.0.5:6379/2", keyPrefix: "site-a:" },
      passwordFile: "/srv/amqtt/secrets/redis",
    });
  });

  it("chooses redis when only cluster_nodes is given", () => {
    const p = resolveBrokerConfig(
      { persistence: { cluster_nodes: ["redis://10.0.0.1:7000", "rediss://10.0.0.2:7000"] } },
      base,
    ).persistence;
    expect(p.store).toBe("redis");
    expect(p.redis).toEqual({ clusterNodes: ["redis://10.0.0.1:7000", "rediss://10.0.0.2:7000"] });
  });

  it("refuses what does not fit a Redis store, with the key path", () => {
    expect(issuesOf({ persistence: { store: "redis" } })).toEqual([
      "persistence.redis: store: redis needs redis (redis://host:6379/0) or cluster_nodes",
    ]);
    expect(issuesOf({ persistence: { redis: "http://x:6379" } })).toEqual([
      "persistence.redis: not a Redis URL: use redis:// or rediss://",
    ]);
    expect(issuesOf({ persistence: { redis: "redis://a", cluster_nodes: ["redis://b"] } })[0]).toMatch(
      /^persistence\.cluster_nodes: give redis/,
    );
    expect(issuesOf({ persistence: { redis: "redis://a", key_prefix: "x{y}" } })).toEqual([
      "persistence.key_prefix: must not contain { or }",
    ]);
    expect(issuesOf({ persistence: { store: "sqlite", redis: "redis://a" } })[0]).toMatch(
      /need store: redis/,
    );
    expect(issuesOf({ persistence: { redis: "redis://a", data_dir: "d" } })[0]).toMatch(/SQLite's/);
  });

  it("says which store to pass in when an embedding names redis", () => {
    const config = resolveBrokerConfig({ persistence: { redis: "redis://127.0.0.1:6379" } }, base);
    expect(() => new Broker(config, { logger: silentLogger })).toThrow(/@amqtt\/store-redis/);
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

  it.each([
    ["postgresql+asyncpg://u:p@db:5432/amqtt", "postgresql"],
    ["postgresql://u@db/amqtt", "postgresql"],
    ["postgres://u@db/amqtt", "postgresql"],
    ["mysql+aiomysql://u:p@db:3306/amqtt", "mysql"],
    ["mysql://u@db/amqtt", "mysql"],
    ["mariadb://u@db/amqtt", "mysql"],
    ["mariadb+mariadbconnector://u@db/amqtt", "mysql"],
  ])("maps the server URL %s onto store %s, keeping aMQTT's clear_on_shutdown default", (url, store) => {
    const config = resolveBrokerConfig(
      { plugins: { "amqtt.contrib.persistence.SessionDBPlugin": { connection: url } } },
      base,
    );
    expect(config.persistence).toEqual({
      store,
      url,
      file: undefined,
      durability: "full",
      clearOnShutdown: true,
    });
  });

  it("takes password_file from the persistence section beside the plugin's URL", () => {
    const p = resolveBrokerConfig(
      {
        persistence: { password_file: "secrets/db" },
        plugins: {
          "amqtt.contrib.persistence.SessionDBPlugin": {
            connection: "postgresql+asyncpg://amqtt@db/amqtt",
            clear_on_shutdown: false,
          },
        },
      },
      base,
    ).persistence;
    expect(p).toMatchObject({
      store: "postgresql",
      passwordFile: "/srv/amqtt/secrets/db",
      clearOnShutdown: false,
    });
  });

  it("refuses a database it cannot serve, naming the URLs it can", () => {
    const issues = issuesOf({
      plugins: { "amqtt.contrib.persistence.SessionDBPlugin": { connection: "oracle+cx://u:p@db/amqtt" } },
    });
    expect(issues[0]).toMatch(
      /^plugins\.amqtt\.contrib\.persistence\.SessionDBPlugin\.connection: unsupported database oracle\+cx: use sqlite:\/\/\/file\.db or postgresql:\/\//,
    );
    expect(issues[0]).not.toContain("u:p");
  });
});

describe("a database server in the persistence section", () => {
  it("takes store postgresql or mysql with its url and an absolute password_file", () => {
    const p = resolveBrokerConfig(
      { persistence: { store: "mysql", url: "mariadb://amqtt@db/amqtt", password_file: "pw" } },
      base,
    ).persistence;
    expect(p).toMatchObject({
      store: "mysql",
      url: "mariadb://amqtt@db/amqtt",
      passwordFile: "/srv/amqtt/pw",
    });
  });

  it("infers the store from a url alone", () => {
    const p = resolveBrokerConfig({ persistence: { url: "postgres://amqtt@db/amqtt" } }, base).persistence;
    expect(p.store).toBe("postgresql");
  });

  it("refuses a server store without url, a url of the other server, SQLite's keys and relaxed", () => {
    expect(issuesOf({ persistence: { store: "postgresql" } })[0]).toMatch(
      /^persistence\.url: store: postgresql needs the server's url/,
    );
    expect(issuesOf({ persistence: { store: "postgresql", url: "mysql://u@db/x" } })[0]).toMatch(
      /^persistence\.url: a mysql URL does not fit store: postgresql/,
    );
    expect(issuesOf({ persistence: { url: "redis://db" } })[0]).toMatch(
      /^persistence\.url: not a database server URL/,
    );
    expect(issuesOf({ persistence: { url: "mysql://u@db/x", data_dir: "d" } })[0]).toMatch(
      /^persistence: file and data_dir are SQLite's/,
    );
    expect(issuesOf({ persistence: { url: "mysql://u@db/x", durability: "relaxed" } })[0]).toMatch(
      /^persistence\.durability: relaxed is SQLite's/,
    );
    expect(issuesOf({ persistence: { password_file: "pw" } })[0]).toMatch(
      /^persistence\.password_file: password_file needs a server url/,
    );
  });
});

describe("a broker and its configured persistence", () => {
  it("refuses to start on sqlite without a store passed in, saying how to pass one", () => {
    expect(
      () => new Broker({ persistence: { store: "sqlite", data_dir: "x" } }, { logger: silentLogger }),
    ).toThrow(/@amqtt\/store-sqlite/);
  });

  it("refuses to start on a database server without a store passed in, naming @amqtt/store-sql", () => {
    expect(
      () => new Broker({ persistence: { url: "postgresql://u@db/x" } }, { logger: silentLogger }),
    ).toThrow(
      /postgresql needs its store passed in: .*createSqlStore\(\{ url, passwordFile \}\) from @amqtt\/store-sql/,
    );
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
