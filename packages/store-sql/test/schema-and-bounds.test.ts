import { queued } from "@amqtt/store/compliance";
import { afterEach, describe, expect, it } from "vitest";
import type { Migration, SqlStore, SqlStoreOptions } from "../src/index.js";
import { BACKENDS, dropStoreTables, useServer } from "./servers.js";

// The schema's versions and refusals, and the bounds of what the store holds in
// memory, on real servers.

const extraStep: Migration = {
  version: 2,
  description: "a table of the test",
  statements: ["CREATE TABLE amqtt_test_extra (id INTEGER PRIMARY KEY)"],
};
const failingStep: Migration = {
  version: 2,
  description: "a step that fails half way",
  statements: ["CREATE TABLE amqtt_test_half (id INTEGER PRIMARY KEY)", "THIS IS NOT SQL"],
};

for (const backend of BACKENDS) {
  describe(`on ${backend.name}`, () => {
    const server = useServer(backend, "schema_bounds");
    const stores: SqlStore[] = [];
    const make = (options: Partial<SqlStoreOptions> = {}): SqlStore => {
      const store = backend.store({ url: server().url, ...options });
      stores.push(store);
      return store;
    };
    const version = async (): Promise<number> => {
      const [rows] = await server().query("SELECT schema_version AS v FROM amqtt_store_meta WHERE id = 1");
      return Number((rows as { v: unknown }[])[0]?.v);
    };
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close().catch(() => {});
      await server().query("DROP TABLE IF EXISTS amqtt_test_extra", "DROP TABLE IF EXISTS amqtt_test_half");
      await dropStoreTables(server());
    });

    describe("the schema", () => {
      it("creates version 1 on an empty database and opens it again without change", async () => {
        await make().open();
        expect(await version()).toBe(1);
        await make().open();
        expect(await version()).toBe(1);
      });

      it("runs a later step on a store of version 1, and a failing step leaves version 1", async () => {
        await make().open();
        await expect(make({ migrations: [...backend.migrations(), failingStep] }).open()).rejects.toThrow();
        expect(await version()).toBe(1);
        await make({ migrations: [...backend.migrations(), extraStep] }).open();
        expect(await version()).toBe(2);
        await server().query("SELECT id FROM amqtt_test_extra");
      });

      it("refuses a store of a newer release (StoreSchemaError newer-version), changing nothing", async () => {
        await make().open();
        await server().query("UPDATE amqtt_store_meta SET schema_version = 99 WHERE id = 1");
        await expect(make().open()).rejects.toMatchObject({
          name: "StoreSchemaError",
          problem: "newer-version",
        });
        expect(await version()).toBe(99);
      });

      it("refuses amqtt_* tables another program made (StoreSchemaError foreign), creating nothing", async () => {
        await server().query(
          "CREATE TABLE amqtt_sessions (name VARCHAR(20))",
          "INSERT INTO amqtt_sessions VALUES ('theirs')",
        );
        await expect(make().open()).rejects.toMatchObject({ name: "StoreSchemaError", problem: "foreign" });
        const [rows] = await server().query("SELECT name FROM amqtt_sessions");
        expect(rows).toEqual([{ name: "theirs" }]);
        const [tables] = await server().query(
          `SELECT table_name AS t FROM information_schema.tables
             WHERE table_name = 'amqtt_store_meta' AND table_schema = ${backend.name === "PostgreSQL" ? "current_schema()" : "DATABASE()"}`,
        );
        expect(tables).toEqual([]);
        await server().query("DROP TABLE amqtt_sessions");
      });
    });

    describe("bounds", () => {
      it("refuses calls beyond maxPendingOperations with StoreBusyError and serves those it took", async () => {
        const store = make({ maxPendingOperations: 10 });
        await store.open();
        const calls = Array.from({ length: 15 }, (_, i) =>
          store.enqueue("c", queued(i)).then(
            () => "ok",
            (e: Error) => e.name,
          ),
        );
        expect(store.pendingOperations).toBe(10);
        expect(await Promise.all(calls)).toEqual([
          ...Array(10).fill("ok"),
          ...Array(5).fill("StoreBusyError"),
        ]);
        await store.flush();
        expect((await store.peekQueue("c", 20)).map((e) => e.payload[0])).toEqual([
          0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
        ]);
      });

      it("keeps the queue counters of at most usageCacheClients clients, and the bounds stay exact past them", async () => {
        const store = make({ usageCacheClients: 3, limits: { maxQueuedMessages: 2 } });
        await store.open();
        for (const client of ["a", "b", "c", "d", "e"]) {
          await store.enqueue(client, queued(1));
          await store.enqueue(client, queued(2));
        }
        expect(store.cachedQueueUsages).toBe(3);
        // "a" was forgotten: its counters are read back, so the bound still drops exactly one.
        expect(await store.enqueue("a", queued(3))).toEqual({ accepted: true, dropped: 1 });
        expect(store.cachedQueueUsages).toBe(3);
        expect((await store.peekQueue("a", 5)).map((e) => e.payload[0])).toEqual([2, 3]);
      });

      it("sees what another instance wrote when checking its bounds (the write-lock row's version)", async () => {
        const one = make({ limits: { maxQueuedMessages: 3, maxRetainedMessages: 2 } });
        const two = make({ limits: { maxQueuedMessages: 3, maxRetainedMessages: 2 } });
        await one.open();
        await two.open();
        await one.enqueue("c", queued(1));
        await one.flush(); // committed: other sessions see it
        expect(await two.queueUsage("c")).toMatchObject({ count: 1 }); // loads it
        await one.enqueue("c", queued(2));
        await one.enqueue("c", queued(3));
        await one.flush();
        expect(await two.queueUsage("c")).toMatchObject({ count: 3 });
        expect(await two.enqueue("c", queued(4))).toEqual({ accepted: true, dropped: 1 });
        await two.flush();
        expect(await one.queueUsage("c")).toMatchObject({ count: 3 });
      });
    });
  });
}
