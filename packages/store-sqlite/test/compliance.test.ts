import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeStoreCompliance } from "@amqtt/store/compliance";
import { SqliteStore } from "../src/index.js";

// One temporary directory per test: every instance of a test shares its file.
let dir: string | undefined;

describeStoreCompliance(
  "SqliteStore",
  async (limits) => {
    dir ??= await mkdtemp(join(tmpdir(), "amqtt-store-sqlite-"));
    return new SqliteStore({ path: join(dir, "broker.db"), limits });
  },
  async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  },
);
