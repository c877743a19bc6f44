import { join } from "node:path";
import { queued } from "@amqtt/store/compliance";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { Migration } from "../src/index.js";
import { MIGRATIONS, migrate } from "../src/schema.js";
import { openStoreAt, storeAt, tempDir } from "./helpers.js";

const addNotes: Migration = {
  version: 2,
  description: "a notes table (test only)",
  up(db) {
    db.exec("CREATE TABLE notes (text TEXT NOT NULL); INSERT INTO notes VALUES ('migrated')");
  },
};

const brokenStep: Migration = {
  version: 2,
  description: "creates a table, then fails (test only)",
  up(db) {
    db.exec("CREATE TABLE half_done (x INTEGER)");
    throw new Error("step failed");
  },
};

function schemaOf(path: string): { version: unknown; tables: string[] } {
  const db = new Database(path, { readonly: true });
  const version = db.pragma("user_version", { simple: true });
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .pluck()
    .all();
  db.close();
  return { version, tables: tables as string[] };
}

async function writeVersion1(path: string): Promise<void> {
  const store = await openStoreAt(path);
  await store.enqueue("c", queued(5));
  await store.close();
}

describe("schema migrations", () => {
  it("upgrades a version 1 file step by step, keeping its data", async () => {
    const path = join(tempDir(), "m.db");
    await writeVersion1(path);
    const store = await openStoreAt(path, { migrations: [...MIGRATIONS, addNotes] });
    expect((await store.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([5]);
    await store.close();
    const { version, tables } = schemaOf(path);
    expect(version).toBe(2);
    expect(tables).toContain("notes");
  });

  it("runs each step once: reopening an upgraded file runs nothing again", async () => {
    const path = join(tempDir(), "m.db");
    await writeVersion1(path);
    let runs = 0;
    const counted: Migration = {
      ...addNotes,
      up(db) {
        runs++;
        addNotes.up(db);
      },
    };
    await (await openStoreAt(path, { migrations: [...MIGRATIONS, counted] })).close();
    await (await openStoreAt(path, { migrations: [...MIGRATIONS, counted] })).close();
    expect(runs).toBe(1);
  });

  it("rolls back a failing step whole and refuses to open, leaving the file at the previous version", async () => {
    const path = join(tempDir(), "m.db");
    await writeVersion1(path);
    await expect(storeAt(path, { migrations: [...MIGRATIONS, brokenStep] }).open()).rejects.toThrow(
      "step failed",
    );
    const { version, tables } = schemaOf(path);
    expect(version).toBe(1);
    expect(tables).not.toContain("half_done");
    const store = await openStoreAt(path);
    expect((await store.queueUsage("c")).count).toBe(1);
  });

  it("refuses a migration list that is not numbered 1, 2, 3, ...", async () => {
    const path = join(tempDir(), "m.db");
    await expect(
      storeAt(path, { migrations: [...MIGRATIONS, { ...addNotes, version: 3 }] }).open(),
    ).rejects.toThrow(/expected 2/);
  });

  it("makes a file upgraded by a newer release unreadable to this one (newer-version)", async () => {
    const path = join(tempDir(), "m.db");
    await writeVersion1(path);
    await (await openStoreAt(path, { migrations: [...MIGRATIONS, addNotes] })).close();
    await expect(storeAt(path).open()).rejects.toMatchObject({
      name: "StoreFormatError",
      problem: "newer-version",
    });
  });
});

describe("two processes creating one file at once", () => {
  it("skips a step that another connection applied after this one read the version", () => {
    const path = join(tempDir(), "race.db");
    const first = new Database(path);
    const second = new Database(path);
    // Both saw an empty file (version 0); the first migrates, then the second.
    expect(migrate(first, 0, MIGRATIONS)).toBe(1);
    expect(migrate(second, 0, MIGRATIONS)).toBe(1);
    first.close();
    second.close();
    expect(schemaOf(path).version).toBe(1);
  });
});
