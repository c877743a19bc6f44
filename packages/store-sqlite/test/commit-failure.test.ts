import { join } from "node:path";
import { queued } from "@amqtt/store/compliance";
import { describe, expect, it } from "vitest";
import type { Migration } from "../src/index.js";
import { MIGRATIONS } from "../src/schema.js";
import { openStoreAt, tempDir } from "./helpers.js";

// A schema step (test only) that makes COMMIT itself fail: a message on topic
// "poison" inserts a row breaking a deferred foreign key, which SQLite checks
// only at commit.
const poisonedCommit: Migration = {
  version: 2,
  description: "deferred foreign key broken by a 'poison' message (test only)",
  up(db) {
    db.exec(`
      CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
      CREATE TRIGGER poison AFTER INSERT ON queue WHEN NEW.topic = 'poison'
      BEGIN INSERT INTO child VALUES (42); END;
    `);
  },
};
const migrations = [...MIGRATIONS, poisonedCommit];

describe("a failed commit", () => {
  it("rejects flush, closes the store, and loses only the failed batch (earlier batches stay)", async () => {
    const path = join(tempDir(), "f.db");
    const store = await openStoreAt(path, { migrations });
    await store.enqueue("c", queued(1));
    await store.flush();
    void store.enqueue("c", queued(2));
    await expect(store.enqueue("c", { ...queued(3), topic: "poison" })).resolves.toMatchObject({
      accepted: true,
    });
    await expect(store.flush()).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_FOREIGNKEY" });
    // Going on would keep later writes while earlier ones are lost: the store refuses.
    const after = store.enqueue("c", queued(4));
    await expect(after).rejects.toMatchObject({ name: "StoreClosedError" });
    await expect(after.catch((e: Error) => e.cause)).resolves.toMatchObject({
      code: "SQLITE_CONSTRAINT_FOREIGNKEY",
    });
    await expect(store.close()).resolves.toBeUndefined();

    const reopened = await openStoreAt(path, { migrations });
    expect((await reopened.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([1]);
  });

  it("makes close reject when the last batch cannot commit", async () => {
    const path = join(tempDir(), "f.db");
    const store = await openStoreAt(path, { migrations });
    void store.enqueue("c", { ...queued(1), topic: "poison" });
    await expect(store.close()).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_FOREIGNKEY" });
    await expect(store.close()).resolves.toBeUndefined();
    await expect(store.flush()).rejects.toMatchObject({ name: "StoreClosedError" });
  });
});
