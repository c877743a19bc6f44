import { join } from "node:path";
import type { DbServer } from "@amqtt/test-utils";
import { startMariadb } from "@amqtt/test-utils/mariadb";
import { startPostgres } from "@amqtt/test-utils/postgres";
import { connectAsync } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTopicAuthDbPlugin,
  createUserAuthDbPlugin,
  type Database,
  openDatabase,
  PasswordHasher,
  parseConnectionUrl,
  TopicManager,
  UserManager,
} from "../src/index.js";
import { mosquittoPub, startBroker, tempDir } from "./helpers.js";

// The same behaviour on each database aMQTT supports: SQLite (a temp file), and
// real PostgreSQL and MariaDB servers started by this file.

interface Backend {
  name: string;
  start(): Promise<{ url: string; stop(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: "SQLite",
    start: async () => ({ url: `sqlite+aiosqlite:///${join(tempDir(), "auth.db")}`, stop: async () => {} }),
  },
  { name: "PostgreSQL", start: (): Promise<DbServer> => startPostgres() },
  { name: "MariaDB", start: (): Promise<DbServer> => startMariadb() },
];

describe.each(backends)("on $name", (backend) => {
  let server: { url: string; stop(): Promise<void> };
  let db: Database;
  beforeAll(async () => {
    server = await backend.start();
    db = await openDatabase(parseConnectionUrl(server.url));
  }, 90_000);
  afterAll(async () => {
    await db?.close();
    await server?.stop();
  });

  it("sync creates aMQTT's user_auth and topic_auth tables, and a second sync changes nothing", async () => {
    const users = new UserManager(db, new PasswordHasher());
    await users.sync();
    await users.create("sync-check", "pw");
    await users.sync();
    expect((await users.list()).map((u) => u.username)).toContain("sync-check");
    const rows = await db.query("SELECT publish_acl FROM topic_auth");
    expect(rows).toEqual([]);
  });

  it("a user is created, verified, re-passworded and deleted", async () => {
    const users = new UserManager(db, new PasswordHasher());
    await users.create("alice", "first");
    await expect(users.create("alice", "again")).rejects.toThrow(/already exists/);
    expect(await users.verify("alice", "first")).toBe(true);
    expect(await users.verify("alice", "wrong")).toBe(false);
    await users.setPassword("alice", "second");
    expect(await users.verify("alice", "first")).toBe(false);
    expect(await users.verify("alice", "second")).toBe(true);
    expect(await users.delete("alice")).toBe(true);
    expect(await users.verify("alice", "second")).toBe(false);
    await expect(users.setPassword("alice", "x")).rejects.toThrow(/doesn't exist/);
  });

  it("a bcrypt hash verifies and is re-hashed to argon2 on the first good login, as aMQTT does", async () => {
    const users = new UserManager(db, new PasswordHasher(["bcrypt"]));
    await users.create("legacy", "pw");
    expect((await users.get("legacy"))?.passwordHash).toMatch(/^\$2[aby]\$/);
    const argonFirst = new UserManager(db, new PasswordHasher(["argon2", "bcrypt"]));
    expect(await argonFirst.verify("legacy", "nope")).toBe(false);
    expect((await users.get("legacy"))?.passwordHash).toMatch(/^\$2[aby]\$/);
    expect(await argonFirst.verify("legacy", "pw")).toBe(true);
    expect((await users.get("legacy"))?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await argonFirst.verify("legacy", "pw")).toBe(true);
  });

  it("topic lists are stored as aMQTT's JSON [{topic}] and edited per action", async () => {
    const topics = new TopicManager(db);
    await topics.create("bob");
    await topics.addTopic("bob", "sensors/#", "subscribe");
    await topics.addTopic("bob", "sensors/+/temp", "publish");
    await expect(topics.addTopic("bob", "$SYS/x", "publish")).rejects.toThrow(/\$ topics/);
    const rows = await db.query("SELECT subscribe_acl FROM topic_auth WHERE username = ?", ["bob"]);
    const stored = rows[0]?.subscribe_acl;
    expect(typeof stored === "string" ? JSON.parse(stored) : stored).toEqual([{ topic: "sensors/#" }]);
    expect(await topics.get("bob")).toEqual({
      username: "bob",
      publish: ["sensors/+/temp"],
      subscribe: ["sensors/#"],
      receive: [],
    });
    expect(await topics.removeTopic("bob", "sensors/#", "subscribe")).toEqual([]);
    await expect(topics.removeTopic("bob", "sensors/#", "subscribe")).rejects.toThrow(/doesn't have/);
  });

  it("the plugins accept a known user over TCP (mosquitto_pub), refuse a wrong password, and apply the topic list", async () => {
    const users = new UserManager(db, new PasswordHasher());
    const topics = new TopicManager(db);
    await users.create("carol", "carol-pw");
    await topics.create("carol");
    await topics.addTopic("carol", "allowed/#", "publish");
    const { port } = await startBroker([
      createUserAuthDbPlugin({ connection: server.url, sync_schema: true }),
      createTopicAuthDbPlugin({ connection: server.url }),
    ]);
    expect((await mosquittoPub(port, "carol", "carol-pw", "allowed/a")).code).toBe(0);
    const refused = await mosquittoPub(port, "carol", "bad-pw", "allowed/a");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/not authori[sz]ed|bad user name or password/i);
    expect((await mosquittoPub(port, "nobody", "x")).code).not.toBe(0);
    // 5.0 tells the publisher: PUBACK 0x87 Not authorized for a topic outside the list.
    const client = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      protocolVersion: 5,
      username: "carol",
      password: "carol-pw",
      reconnectPeriod: 0,
    });
    try {
      await client.publishAsync("allowed/b", "x", { qos: 1 });
      await expect(client.publishAsync("other/a", "x", { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    } finally {
      await client.endAsync(true);
    }
  });
});
