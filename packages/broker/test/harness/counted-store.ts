// The real SQLite store in a temp dir under a spy that counts calls per method
// (every call goes through to the store); the dir goes after the test.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrokerStore } from "@amqtt/store";
import { SqliteStore } from "@amqtt/store-sqlite";
import { afterEach } from "vitest";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A real `SqliteStore` and the number of calls of each of its methods so far. */
export function countedSqliteStore(): { store: BrokerStore; calls: Map<string, number> } {
  const dir = mkdtempSync(join(tmpdir(), "amqtt-counted-store-"));
  dirs.push(dir);
  const real = new SqliteStore({ path: join(dir, "amqtt.db") });
  const calls = new Map<string, number>();
  const store = new Proxy(real, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function" || typeof key !== "string") return value;
      return (...args: unknown[]) => {
        calls.set(key, (calls.get(key) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { store, calls };
}
