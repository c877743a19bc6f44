import { MemoryStore } from "@amqtt/broker";
import { describeStoreConformance } from "../src/index.js";

describeStoreConformance(
  "MemoryStore",
  async (limits) => new MemoryStore(limits === undefined ? {} : { limits }),
);
