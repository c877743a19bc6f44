import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DbServer } from "@amqtt/test-utils";
import { startPostgres } from "@amqtt/test-utils/postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTopicAuthDbPlugin, createUserAuthDbPlugin, runTopicMgr, runUserMgr } from "../src/index.js";
import { mosquittoPub, runCommand, startBroker, tempDir } from "./helpers.js";

// aMQTT's user_mgr and topic_mgr: the same sub-commands and flags, passwords
// asked on stdin, and their changes seen by a running broker at the next CONNECT.

describe("user_mgr and topic_mgr on a SQLite file", () => {
  it("refuse a SQLite file that does not exist, except for sync", async () => {
    const file = join(tempDir(), "auth.db");
    const missing = await runCommand(runUserMgr, ["-d", "sqlite", "-f", file, "list"]);
    expect([missing.code, missing.stderr]).toEqual([1, `SQLite option could not find '${file}'\n`]);
    const synced = await runCommand(runUserMgr, ["-d", "sqlite", "-f", file, "sync"]);
    expect([synced.code, synced.stdout]).toEqual([0, "Success: database synced.\n"]);
    expect(existsSync(file)).toBe(true);
  });

  it("add a user, connect with it, change its password, remove it, while the broker runs", async () => {
    const file = join(tempDir(), "auth.db");
    const db = ["-d", "sqlite", "-f", file];
    expect((await runCommand(runUserMgr, [...db, "sync"])).code).toBe(0);
    const { port } = await startBroker([
      createUserAuthDbPlugin({ connection: `sqlite+aiosqlite:///${file}` }),
      createTopicAuthDbPlugin({ connection: `sqlite+aiosqlite:///${file}` }),
    ]);
    expect((await mosquittoPub(port, "dave", "pw-1")).code).not.toBe(0);

    const added = await runCommand(runUserMgr, [...db, "add", "-c", "dave"], ["pw-1"]);
    expect([added.code, added.stdout]).toEqual([0, "Success: created 'dave'\n"]);
    const topic = await runCommand(runTopicMgr, [...db, "add", "t/#", "-c", "dave", "-a", "publish"]);
    expect([topic.code, topic.stdout]).toEqual([0, "Success: topic 't/#' added to publish for 'dave'\n"]);
    const again = await runCommand(runTopicMgr, [...db, "add", "t/#", "-c", "dave", "-a", "publish"]);
    expect([again.code, again.stderr]).toEqual([1, "Topic 't/#' already exists for 'publish'.\n"]);
    expect((await mosquittoPub(port, "dave", "pw-1")).code).toBe(0);

    const listed = await runCommand(runUserMgr, [...db, "list"]);
    expect(listed.stdout).toMatch(/^'dave' with password hash: \$argon2id\$/);
    const topics = await runCommand(runTopicMgr, [...db, "list"]);
    expect(topics.stdout).toBe("'dave':\n\tpublish: [t/#], subscribe: [], receive: []\n");

    const changed = await runCommand(runUserMgr, [...db, "pwd", "-c", "dave"], ["pw-2"]);
    expect([changed.code, changed.stdout]).toEqual([0, "Success: client 'dave' password updated.\n"]);
    expect((await mosquittoPub(port, "dave", "pw-1")).code).not.toBe(0);
    expect((await mosquittoPub(port, "dave", "pw-2")).code).toBe(0);

    const kept = await runCommand(runUserMgr, [...db, "rm", "-c", "dave"], ["n"]);
    expect(kept.code).toBe(0);
    expect((await mosquittoPub(port, "dave", "pw-2")).code).toBe(0);
    const removed = await runCommand(runUserMgr, [...db, "rm", "-c", "dave"], ["y"]);
    expect([removed.code, removed.stdout]).toEqual([0, "Success: 'dave' was removed.\n"]);
    expect((await mosquittoPub(port, "dave", "pw-2")).code).not.toBe(0);
    const gone = await runCommand(runUserMgr, [...db, "rm", "-c", "dave"], ["y"]);
    expect([gone.code, gone.stderr]).toEqual([1, "Error: client 'dave' does not exist.\n"]);

    const dropped = await runCommand(runTopicMgr, [...db, "rm", "t/#", "-c", "dave", "-a", "publish"]);
    expect([dropped.code, dropped.stdout]).toEqual([
      0,
      "Success: removed topic 't/#' from publish for 'dave'\n",
    ]);
  });

  it("refuse an empty client password and a publish topic starting with $", async () => {
    const file = join(tempDir(), "auth.db");
    const db = ["-d", "sqlite", "-f", file];
    await runCommand(runUserMgr, [...db, "sync"]);
    const empty = await runCommand(runUserMgr, [...db, "add", "-c", "eve"], ["   "]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(
      /^Enter the client's password: \nError: client password cannot be empty.\n$/,
    );
    const dollar = await runCommand(runTopicMgr, [...db, "add", "$SYS/#", "-c", "eve", "-a", "publish"]);
    expect([dollar.code, dollar.stderr]).toEqual([
      1,
      "MQTT does not allow clients to publish to $ topics.\n",
    ]);
  });

  it("need --db, and a user name for a server database", async () => {
    expect((await runCommand(runUserMgr, ["list"])).code).toBe(2);
    const noUser = await runCommand(runUserMgr, ["-d", "postgresql", "list"]);
    expect([noUser.code, noUser.stderr]).toEqual([1, "DB access requires a username be provided.\n"]);
  });
});

describe("user_mgr on PostgreSQL", () => {
  let server: DbServer;
  beforeAll(async () => {
    server = await startPostgres();
  }, 90_000);
  afterAll(() => server?.stop());

  it("asks the database password, then adds a user a running broker accepts", async () => {
    const db = [
      "-d",
      "postgresql",
      "-u",
      server.user,
      "-h",
      "127.0.0.1",
      "-p",
      String(server.port),
      "-n",
      server.database,
    ];
    expect((await runCommand(runUserMgr, [...db, "sync"], [server.password])).code).toBe(0);
    const { port } = await startBroker([createUserAuthDbPlugin({ connection: server.url })]);
    const added = await runCommand(runUserMgr, [...db, "add", "-c", "frank"], [server.password, "frank-pw"]);
    expect([added.code, added.stdout]).toEqual([0, "Success: created 'frank'\n"]);
    expect((await mosquittoPub(port, "frank", "frank-pw")).code).toBe(0);
    const wrongDbPassword = await runCommand(runUserMgr, [...db, "list"], ["not-it"]);
    expect(wrongDbPassword.code).toBe(1);
    expect(wrongDbPassword.stderr).toMatch(/password authentication failed/);
    expect(wrongDbPassword.stderr).not.toContain("not-it");
  });
});
