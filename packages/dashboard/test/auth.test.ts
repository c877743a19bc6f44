import { describe, expect, it } from "vitest";
import { TokenStore } from "../app/src/lib/auth.ts";

/** A Storage with sessionStorage's three methods, in memory. */
function memoryStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  };
}

describe("TokenStore", () => {
  it("remembers a login until it expires, then forgets it", () => {
    const storage = memoryStorage();
    let now = Date.parse("2026-12-03T10:00:00Z");
    const store = new TokenStore(storage, () => now);
    store.save("ann", { token: "t1", role: "viewer", expiresAt: "2026-12-03T11:00:00Z" });
    expect(store.load()).toMatchObject({ token: "t1", role: "viewer", username: "ann" });
    now = Date.parse("2026-12-03T11:00:01Z");
    expect(store.load()).toBeUndefined();
    expect(storage.items.size).toBe(0);
  });

  it("forgets an unreadable entry and clears on log out", () => {
    const storage = memoryStorage();
    const store = new TokenStore(storage);
    storage.items.set("amqtt.dashboard.session", "{not json");
    expect(store.load()).toBeUndefined();
    expect(storage.items.size).toBe(0);
    store.save("bo", { token: "t2", role: "admin", expiresAt: new Date(Date.now() + 60_000).toISOString() });
    store.clear();
    expect(store.load()).toBeUndefined();
  });
});
