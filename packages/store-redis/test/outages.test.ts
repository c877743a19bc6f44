import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { queued } from "@amqtt/store/compliance";
import { freePort } from "@amqtt/test-utils";
import { type RedisServer, startRedis } from "@amqtt/test-utils/redis";
import { afterEach, describe, expect, it } from "vitest";
import type { RedisStore, RedisStoreOptions } from "../src/index.js";
import { storeOn } from "./servers.js";

// Redis that stalls (SIGSTOP), restarts or refuses the login: the store
// rejects with a typed error within its command timeout, never hangs, and
// serves again once Redis is back, without a new instance.
const servers: RedisServer[] = [];
const stores: RedisStore[] = [];
afterEach(async () => {
  for (const server of servers) server.signal("SIGCONT");
  for (const store of stores.splice(0)) await store.close().catch(() => {});
  for (const server of servers.splice(0)) await server.stop();
});

async function start(options: Parameters<typeof startRedis>[0] = {}): Promise<RedisServer> {
  const server = await startRedis(options);
  servers.push(server);
  return server;
}

async function open(options: RedisStoreOptions): Promise<RedisStore> {
  const store = storeOn(options);
  stores.push(store);
  await store.open();
  return store;
}

const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "ok",
    (error: Error) => error.name,
  );

describe("engine outages", () => {
  it("rejects calls with StoreConnectionError while Redis is stopped (SIGSTOP), flush too, and serves again after SIGCONT", async () => {
    const server = await start();
    const store = await open({ url: server.url, commandTimeoutMs: 300 });
    await store.enqueue("c", queued(1));
    server.signal("SIGSTOP");
    const write = outcome(store.enqueue("c", queued(2)));
    const read = outcome(store.peekQueue("c", 10));
    const flushed = outcome(store.flush());
    expect(await write).toBe("StoreConnectionError");
    expect(await read).toBe("StoreConnectionError");
    // The flush behind a write with no answer must not vouch for it (no PUBACK).
    expect(await flushed).toBe("StoreConnectionError");
    expect(store.pendingOperations).toBe(0);
    server.signal("SIGCONT");
    // The same instance, no reopen: the late answers are matched to their timed-out calls.
    expect(await store.enqueue("c", queued(3))).toEqual({ accepted: true, dropped: 0 });
    await expect(store.flush()).resolves.toBeUndefined();
    // The stalled enqueue was sent, so Redis ran it late: at-least-once, never lost silently.
    expect((await store.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([1, 2, 3]);
  });

  it("fails calls during a Redis restart with StoreConnectionError and reconnects by itself", async () => {
    const server = await start({ appendOnly: true });
    const store = await open({ url: server.url, commandTimeoutMs: 1000 });
    await store.enqueue("c", queued(1));
    await server.restart();
    // The first call may meet the dead connection; either way it settles with a typed answer.
    expect(["ok", "StoreConnectionError"]).toContain(await outcome(store.enqueue("c", queued(2))));
    await expect.poll(() => outcome(store.queueUsage("c")), { timeout: 10_000 }).toBe("ok");
    expect(await store.enqueue("c", queued(3))).toMatchObject({ accepted: true });
    const seen = (await store.peekQueue("c", 10)).map((e) => e.payload[0]);
    expect(seen[0]).toBe(1);
    expect(seen.at(-1)).toBe(3);
  });

  it("rejects open with StoreConnectionError when nothing listens, the message without the password", async () => {
    const port = await freePort();
    const store = storeOn({ url: `redis://:s3cret-pw@127.0.0.1:${port}/0`, connectTimeoutMs: 1000 });
    const error = await store.open().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.name).toBe("StoreConnectionError");
    expect(error?.message).toContain(`127.0.0.1:${port}`);
    expect(error?.message).not.toContain("s3cret-pw");
    expect(store.target).toBe(`redis://:***@127.0.0.1:${port}/0`);
  });

  it("logs in with the password from password_file, which wins over the URL's, and never shows it", async () => {
    const server = await start({ config: ["requirepass file-pw-123"] });
    const file = join(server.dir, "password");
    writeFileSync(file, "file-pw-123\n");
    const store = await open({ url: `redis://:wrong@127.0.0.1:${server.port}`, passwordFile: file });
    expect(await store.enqueue("c", queued(1))).toEqual({ accepted: true, dropped: 0 });
    const refused = storeOn({ url: `redis://:wrong-pw-456@127.0.0.1:${server.port}` });
    const error = await refused.open().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.name).toBe("StoreConnectionError");
    expect(error?.message).not.toContain("wrong-pw-456");
    expect(String(error?.cause)).not.toContain("wrong-pw-456");
  });

  it("rejects a URL that is not redis:// or rediss:// with RedisUrlError", async () => {
    const store = storeOn({ url: "http://127.0.0.1:6379" });
    await expect(store.open()).rejects.toMatchObject({ name: "RedisUrlError" });
  });
});
