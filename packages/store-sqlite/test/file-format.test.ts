import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bareSession, queued } from "@amqtt/store/compliance";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { APPLICATION_ID, SCHEMA_VERSION, StoreFormatError } from "../src/index.js";
import { openStoreAt, storeAt, tempDir } from "./helpers.js";

/** Open a store on `path`, expect a StoreFormatError, and check the file did not change. */
async function expectRefused(path: string, problem: string): Promise<StoreFormatError> {
  const before = readFileSync(path);
  const store = storeAt(path);
  const error = await store.open().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreFormatError);
  expect(error).toMatchObject({ name: "StoreFormatError", path, problem });
  expect(readFileSync(path).equals(before)).toBe(true);
  // The instance stays unopened.
  await expect(store.loadSession("c")).rejects.toMatchObject({ name: "StoreClosedError" });
  return error as StoreFormatError;
}

describe("opening a file", () => {
  it("creates the file and its missing directories, in WAL mode with synchronous=FULL", async () => {
    const path = join(tempDir(), "a", "b", "broker.db");
    await (await openStoreAt(path)).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma("application_id", { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  });

  it("sets synchronous=FULL by default and NORMAL in relaxed mode, on the store's own connection", async () => {
    const dir = tempDir();
    const full = await openStoreAt(join(dir, "full.db"));
    const relaxed = await openStoreAt(join(dir, "relaxed.db"), { durability: "relaxed" });
    expect(full.durability).toBe("full");
    expect(relaxed.durability).toBe("relaxed");
    // PRAGMA synchronous is per connection: read it through the store's own.
    expect(synchronousOf(full)).toBe(2);
    expect(synchronousOf(relaxed)).toBe(1);
  });

  it("accepts an existing empty file as a new store", async () => {
    const path = join(tempDir(), "empty.db");
    writeFileSync(path, "");
    const store = await openStoreAt(path);
    await store.saveSession(bareSession("c"));
    expect((await store.loadSession("c"))?.clientId).toBe("c");
  });

  it("reopens its own file and keeps its data", async () => {
    const path = join(tempDir(), "broker.db");
    const first = await openStoreAt(path);
    await first.enqueue("c", queued(7));
    await first.close();
    const second = await openStoreAt(path);
    expect((await second.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([7]);
  });
});

describe("refusing files that are not a store of this package", () => {
  it("refuses a file of random bytes as not SQLite, and leaves it unchanged", async () => {
    const path = join(tempDir(), "random.db");
    writeFileSync(path, randomBytes(8192));
    const error = await expectRefused(path, "not-sqlite");
    expect(error.found).toMatch(/^header bytes [0-9a-f]{32}$/);
    expect(error.message).toContain(path);
  });

  it("refuses a file with SQLite's header followed by garbage, and leaves it unchanged", async () => {
    const path = join(tempDir(), "garbage.db");
    const bytes = randomBytes(4096);
    bytes.write("SQLite format 3\0", 0, "latin1");
    writeFileSync(path, bytes);
    await expectRefused(path, "not-sqlite");
  });

  it("refuses another program's SQLite database, naming its tables, and leaves it unchanged", async () => {
    const path = join(tempDir(), "other.db");
    const db = new Database(path);
    db.exec(
      "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5)",
    );
    db.close();
    const error = await expectRefused(path, "foreign");
    expect(error.found).toContain("invoices");
    const check = new Database(path, { readonly: true });
    expect(check.prepare("SELECT total FROM invoices").pluck().get()).toBe(9.5);
    check.close();
  });

  it("refuses an empty SQLite database that carries another application id", async () => {
    const path = join(tempDir(), "tagged.db");
    const db = new Database(path);
    db.pragma("application_id = 1234");
    db.close();
    const error = await expectRefused(path, "foreign");
    expect(error.found).toContain("application id 0x4d2");
  });

  it("refuses a store written with a newer schema version, and leaves it unchanged", async () => {
    const path = join(tempDir(), "newer.db");
    const store = await openStoreAt(path);
    await store.enqueue("c", queued(1));
    await store.close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const error = await expectRefused(path, "newer-version");
    expect(error.found).toContain(`schema version ${SCHEMA_VERSION + 1}`);
  });
});

describe("constructor options", () => {
  it("rejects an unknown durability mode and non-positive batch or cache sizes with RangeError", () => {
    const path = join(tempDir(), "x.db");
    expect(() => storeAt(path, { durability: "fast" as "full" })).toThrow(RangeError);
    expect(() => storeAt(path, { maxBatchWrites: 0 })).toThrow(RangeError);
    expect(() => storeAt(path, { usageCacheClients: 1.5 })).toThrow(RangeError);
    expect(() => storeAt(path, { limits: { maxQueuedMessages: -1 } })).toThrow(RangeError);
  });
});

function synchronousOf(store: object): unknown {
  // The connection is private; this test reads it on purpose to check the pragma.
  const db = (store as { connection: { db: Database.Database } }).connection.db;
  return db.pragma("synchronous", { simple: true });
}
