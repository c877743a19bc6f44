import { queued, retained } from "@amqtt/store/compliance";
import { freePort } from "@amqtt/test-utils";
import mysql from "mysql2/promise";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import type { SqlStore, SqlStoreOptions } from "../src/index.js";
import {
  BACKENDS,
  dropStoreTables,
  storeSessionsGone,
  terminateStoreSessions,
  useServer,
} from "./servers.js";

// A database that goes away or stops answering: the store rejects with a typed
// error, never hangs, and never keeps a write whose earlier writes were lost.

for (const backend of BACKENDS) {
  describe(`outages on ${backend.name}`, () => {
    const server = useServer(backend, "outages");
    const stores: SqlStore[] = [];
    const open = async (options: Partial<SqlStoreOptions> = {}): Promise<SqlStore> => {
      const store = backend.store({ url: server().url, ...options });
      stores.push(store);
      await store.open();
      return store;
    };
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close().catch(() => {});
      await dropStoreTables(server());
    });

    it("replaces a session cut while idle: a call that meets it rejects with StoreConnectionError, the next one reconnects, nothing is lost", async () => {
      const store = await open();
      await store.enqueue("c", queued(1));
      await store.flush();
      await terminateStoreSessions(backend, server());
      await storeSessionsGone(backend, server());
      const kept = [1];
      // The driver may or may not have seen the cut yet: either way nothing committed is lost.
      const first = await store.enqueue("c", queued(2)).then(
        () => true,
        (error: Error) => {
          expect(error.name).toBe("StoreConnectionError");
          return false;
        },
      );
      if (first) kept.push(2);
      await store.enqueue("c", queued(3));
      kept.push(3);
      await store.flush();
      expect(store.sessionsOpened).toBe(2);
      expect((await store.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual(kept);
    });

    it("fails for good when the session is cut in the middle of a batch: flush rejects with StoreConnectionError, later calls with StoreClosedError, a new instance finds the last commit", async () => {
      const store = await open();
      await store.enqueue("c", queued(1));
      await store.flush();
      // A batch held open: a write in it, then one that waits on a row another session inserted.
      const holder = await lockHolder(backend.name, server().url);
      try {
        await holder.insertRetained("blocked");
        await store.enqueue("c", queued(2));
        // Caught at once: they reject while the cut is being made.
        const stuck = store.setRetained(retained("blocked")).catch((e: Error) => e);
        const flushed = store.flush().catch((e: Error) => e);
        await terminateStoreSessions(backend, server(), [holder.id]);
        expect(await stuck).toMatchObject({ name: "StoreConnectionError" });
        expect(await flushed).toMatchObject({ name: "StoreConnectionError" });
      } finally {
        await holder.release();
      }
      const later = store.enqueue("c", queued(9));
      await expect(later).rejects.toMatchObject({ name: "StoreClosedError" });
      await expect(later.catch((e: Error) => e.cause)).resolves.toMatchObject({
        name: "StoreConnectionError",
      });
      await expect(store.close()).resolves.toBeUndefined();
      // The server rolled the cut batch back whole: only the first commit is there.
      const next = await open();
      expect((await next.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([1]);
      expect(await next.getRetained("blocked")).toBeUndefined();
    });

    it("rejects a write stuck behind a lock held elsewhere with StoreConnectionError after queryTimeoutMs (and the flush behind it), and goes on once the lock is gone", async () => {
      const store = await open({ queryTimeoutMs: 1000 });
      const holder = await lockHolder(backend.name, server().url);
      try {
        await holder.lock();
        const write = store.enqueue("c", queued(1)).catch((e: Error) => e);
        // The flush behind a write that was not applied must not vouch for it (no PUBACK).
        const flushed = store.flush().catch((e: Error) => e);
        expect(await write).toMatchObject({ name: "StoreConnectionError" });
        expect(await flushed).toMatchObject({ name: "StoreConnectionError" });
      } finally {
        await holder.release();
      }
      await expect(store.enqueue("c", queued(2))).resolves.toEqual({ accepted: true, dropped: 0 });
      await store.flush();
      expect((await store.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([2]);
    });

    it("rejects open with StoreConnectionError when nothing listens, the message without the password", async () => {
      const port = await freePort();
      const url = server().url.replace(/@127\.0\.0\.1:\d+\//, `@127.0.0.1:${port}/`);
      const store = backend.store({ url, connectTimeoutMs: 2000 });
      const error = await store.open().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.name).toBe("StoreConnectionError");
      expect(error?.message).toContain(`127.0.0.1:${port}`);
      expect(error?.message).not.toContain(server().password);
      expect(store.target).not.toContain(server().password);
    });
  });
}

/** A session of the test's own that takes the store's write-lock row and holds it. */
async function lockHolder(
  name: string,
  url: string,
): Promise<{
  /** The MariaDB connection id (0 on PostgreSQL, whose store sessions are known by name). */
  id: number;
  lock(): Promise<void>;
  insertRetained(topic: string): Promise<void>;
  release(): Promise<void>;
}> {
  const sql = "SELECT write_version FROM amqtt_store_meta WHERE id = 1 FOR UPDATE";
  // An uncommitted row under the store's key for `topic` (SHA-256 of the topic): the store's upsert waits on it.
  const insert = (key: string, topic: string) =>
    `INSERT INTO amqtt_retained (topic_key, topic, payload, qos, retain, stored_at, size)
       VALUES (${key}, '${topic}', 'x', 0, false, 0, 1)`;
  if (name === "PostgreSQL") {
    const client = new pg.Client({ connectionString: url.replace(/^[^:]+:/, "postgresql:") });
    await client.connect();
    return {
      id: 0,
      lock: async () => {
        await client.query("BEGIN");
        await client.query(sql);
      },
      insertRetained: async (topic) => {
        await client.query("BEGIN");
        await client.query(insert(`sha256('${topic}'::bytea)`, topic));
      },
      release: async () => {
        await client.query("ROLLBACK");
        await client.end();
      },
    };
  }
  const connection = await mysql.createConnection({ uri: url.replace(/^[^:]+:/, "mysql:") });
  return {
    id: connection.threadId,
    lock: async () => {
      await connection.query("BEGIN");
      await connection.query(sql);
    },
    insertRetained: async (topic) => {
      await connection.query("BEGIN");
      await connection.query(insert(`UNHEX(SHA2('${topic}', 256))`, topic));
    },
    release: async () => {
      await connection.query("ROLLBACK");
      await connection.end();
    },
  };
}
