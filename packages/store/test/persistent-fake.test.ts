// Runs the suite's persistent branch (reopen keeps data) against a fake: every
// instance of one test shares a single MemoryStore, as instances of a SQLite
// store share a file. Each instance keeps its own open/closed state.

import { describeStoreCompliance } from "../src/compliance/index.js";
import { type BrokerStore, MemoryStore, type StoreLimits } from "../src/index.js";

let disk: MemoryStore | undefined;

async function sharedDisk(limits: Partial<StoreLimits> | undefined): Promise<MemoryStore> {
  if (disk === undefined) {
    disk = new MemoryStore(limits === undefined ? {} : { limits });
    await disk.open();
  }
  return disk;
}

function closedError(): Error {
  const error = new Error("the store is not open");
  error.name = "StoreClosedError";
  return error;
}

async function createPersistentFake(limits?: Partial<StoreLimits>): Promise<BrokerStore> {
  const target = await sharedDisk(limits);
  let state: "new" | "open" | "closed" = "new";
  return new Proxy(target, {
    get(store, key, receiver) {
      if (key === "persistent") return true;
      if (key === "open" || key === "close") {
        return async () => {
          state = key === "open" ? "open" : "closed";
        };
      }
      const value = Reflect.get(store, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) =>
        state === "open" ? value.apply(store, args) : Promise.reject(closedError());
    },
  });
}

describeStoreCompliance("persistent fake", createPersistentFake, async () => {
  await disk?.close();
  disk = undefined;
});
