import { describeStoreCompliance } from "../src/compliance/index.js";
import { MemoryStore } from "../src/index.js";

describeStoreCompliance(
  "MemoryStore",
  async (limits) => new MemoryStore(limits === undefined ? {} : { limits }),
);
