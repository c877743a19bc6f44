import { describeClusterConformance } from "../src/conformance/index.js";
import { MemoryClusterBus, MemoryClusterEngine } from "../src/index.js";

describeClusterConformance("MemoryClusterBus", async () => {
  const engine = new MemoryClusterEngine();
  return {
    // Short timings: the suite waits in multiples of the lease.
    options: { leaseMs: 300, requestTimeoutMs: 100 },
    createBus: (options) => new MemoryClusterBus(engine, options),
    crash: async (bus) => engine.expire(bus.nodeId),
    setEngineAvailable: async (available) => engine.setAvailable(available),
    close: async () => {},
  };
});
