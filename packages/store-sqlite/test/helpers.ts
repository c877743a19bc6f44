import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { SqliteStore, type SqliteStoreOptions } from "../src/index.js";

const dirs: string[] = [];
const stores: SqliteStore[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "amqtt-store-sqlite-"));
  dirs.push(dir);
  return dir;
}

/** A new store over `path` (unopened), closed after the test. */
export function storeAt(path: string, options: Omit<SqliteStoreOptions, "path"> = {}): SqliteStore {
  const store = new SqliteStore({ path, ...options });
  stores.push(store);
  return store;
}

/** An opened store over `path`, closed after the test. */
export async function openStoreAt(
  path: string,
  options: Omit<SqliteStoreOptions, "path"> = {},
): Promise<SqliteStore> {
  const store = storeAt(path, options);
  await store.open();
  return store;
}

/** Resolves after the current turn's immediates (and so after a pending batch commit). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
