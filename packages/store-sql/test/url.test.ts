import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@amqtt/test-utils";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  createSqlStore,
  DatabaseUrlError,
  MysqlStore,
  PostgresStore,
  redactDatabaseUrl,
  sqlDialectOf,
} from "../src/index.js";
import { resolveServerUrl } from "../src/url.js";

describe("database URLs", () => {
  it.each([
    ["postgresql+asyncpg://u:p@db:5432/amqtt", "postgresql"],
    ["postgresql://u@db/amqtt", "postgresql"],
    ["postgres://u@db/amqtt", "postgresql"],
    ["POSTGRESQL://u@db/amqtt", "postgresql"],
    ["mysql+aiomysql://u:p@db:3306/amqtt", "mysql"],
    ["mysql://u@db/amqtt", "mysql"],
    ["mariadb://u@db/amqtt", "mysql"],
    ["mariadb+mariadbconnector://u@db/amqtt", "mysql"],
    ["sqlite+aiosqlite:///amqtt.db", undefined],
    ["redis://db", undefined],
    ["not a url", undefined],
  ])("%s names dialect %s (aMQTT's SQLAlchemy spellings included)", (url, dialect) => {
    expect(sqlDialectOf(url)).toBe(dialect);
  });

  it("hides the password of a URL for logs, and all of a URL that does not parse", () => {
    expect(redactDatabaseUrl("postgresql+asyncpg://amqtt:s3cret@db:5432/amqtt")).toBe(
      "postgresql+asyncpg://amqtt:***@db:5432/amqtt",
    );
    expect(redactDatabaseUrl("mysql://amqtt@db/amqtt")).toBe("mysql://amqtt@db/amqtt");
    expect(redactDatabaseUrl("::s3cret::")).toBe("<database URL>");
  });

  it("takes the password from the first line of a file over the URL's, for the driver only", async () => {
    const tmp = makeTempDir("amqtt-store-sql-url-");
    onTestFinished(tmp.remove);
    const file = join(tmp.path, "pw");
    writeFileSync(file, "from file/with:odd@chars\nsecond line\n");
    const server = await resolveServerUrl("postgresql+asyncpg://amqtt:old@db:5432/amqtt", "postgresql", file);
    expect(decodeURIComponent(new URL(server.url).password)).toBe("from file/with:odd@chars");
    expect(server.url.startsWith("postgresql://")).toBe(true);
    expect(server.target).toBe("db:5432/amqtt");
    const maria = await resolveServerUrl("mariadb://amqtt@db/amqtt", "mysql");
    expect(maria.url).toBe("mysql://amqtt@db/amqtt");
  });

  it("refuses a URL of the other dialect with DatabaseUrlError, without its password", async () => {
    const error = await resolveServerUrl("mysql://amqtt:s3cret@db/amqtt", "postgresql").catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(DatabaseUrlError);
    expect((error as Error).message).not.toContain("s3cret");
  });
});

describe("createSqlStore", () => {
  it("makes the store of the URL's dialect, and refuses other URLs without their password", () => {
    expect(createSqlStore({ url: "postgresql+asyncpg://u@db/x" })).toBeInstanceOf(PostgresStore);
    expect(createSqlStore({ url: "mariadb://u@db/x" })).toBeInstanceOf(MysqlStore);
    expect(() => createSqlStore({ url: "redis://u:s3cret@db" })).toThrow(DatabaseUrlError);
    expect(() => createSqlStore({ url: "redis://u:s3cret@db" })).toThrow(/redis:\/\/u:\*\*\*@db/);
  });

  it("refuses invalid options and limits with RangeError, and rejects calls before open", async () => {
    expect(() => new PostgresStore({ url: "postgresql://db/x", maxPendingOperations: 0 })).toThrow(
      RangeError,
    );
    expect(() => new MysqlStore({ url: "mysql://db/x", limits: { maxQueuedMessages: -1 } })).toThrow(
      RangeError,
    );
    const store = new PostgresStore({ url: "postgresql://u:s3cret@db/x" });
    expect(store.target).toBe("postgresql://u:***@db/x");
    await expect(store.flush()).rejects.toMatchObject({ name: "StoreClosedError" });
  });
});
