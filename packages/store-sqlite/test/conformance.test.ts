import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeStoreConformance } from "@amqtt/store-conformance";
import { SqliteStore } from "../src/index.js";

// One temporary directory per test: every instance of a test shares its file.
let dir: string | undefined;

describeStoreConformance(
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
