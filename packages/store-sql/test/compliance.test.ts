import { describeStoreCompliance } from "@amqtt/store/compliance";
import { describe } from "vitest";
import { BACKENDS, dropStoreTables, useServer } from "./servers.js";

// The suite every broker store passes, against real servers started here: each
// test starts on an empty database (the tables are dropped after it).
for (const backend of BACKENDS) {
  describe(`on ${backend.name}`, () => {
    const server = useServer(backend, "compliance");
    describeStoreCompliance(
      `${backend.name} SqlStore`,
      async (limits) => backend.store({ url: server().url, limits }),
      () => dropStoreTables(server()),
    );
  });
}
