// The per-message CPU cost of the rate limits and the memory budget in isolation
// (issue 17): EdgeLimits.admitPublish + dropForMemory on one connection, with every
// limit on at values never reached, against the same calls with every limit off,
// in one run. Relate the difference to the broker's CPU per message from
// `pnpm bench:limits` (broker CPU % / msg/s). Needs a build (pnpm build).
//   node bench/limits-micro.mjs   [CALLS=5000000 ROUNDS=5]
import { EdgeLimits } from "../dist/broker/edge-limits.js";

const CALLS = Number(process.env.CALLS ?? 5_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const clock = { now: () => performance.now(), setTimeout, clearTimeout };
const conn = {
  closed: false,
  protocolVersion: 4,
  info: { clientId: "bench" },
  session: { queuedBytes: 0 },
  // Bytes written but not yet taken by the network (ClientConnection.outputHeldBytes).
  outputHeldBytes: 0,
  holdReading() {},
  disconnect() {},
};
const host = (counters) => ({
  clock,
  logger: { info() {}, debug() {}, warn() {}, error() {}, child() {} },
  counters,
  connections: new Set([conn]),
  dropped() {},
});
const on = {
  maxClients: 1_000_000,
  connectionLimit: { limit: 1_000_000, openFiles: undefined },
  v5: "disconnect",
  maxMessageMemory: 16 * 1024 ** 3,
  messageRate: { rate: 1e12, burst: 1e12 },
  byteRate: { rate: 1e15, burst: 1e15 },
};
const off = { maxClients: 0, connectionLimit: on.connectionLimit, v5: "disconnect", maxMessageMemory: 0 };
const request = {
  kind: "publishRequest",
  requestId: 1,
  topic: "bench/topic/1",
  payload: new Uint8Array(64),
  qos: 0,
  retain: false,
  dup: false,
};
const message = { ...request, kind: "message" };

function run(limits) {
  const counters = { publishThrottled: 0, rateLimitDisconnects: 0, memoryBudgetDrops: 0 };
  const edge = new EdgeLimits(host(counters), limits, []);
  let admitted = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) {
    if (edge.admitPublish(conn, request) && !edge.dropForMemory(conn, message)) admitted++;
  }
  const ns = Number(process.hrtime.bigint() - t0) / CALLS;
  if (admitted !== CALLS || counters.publishThrottled !== 0)
    throw new Error("a limit was hit: the bench is wrong");
  return ns;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const offs = [];
const ons = [];
for (let r = 0; r < ROUNDS; r++) {
  offs.push(run(off));
  ons.push(run(on));
}
const a = median(offs);
const b = median(ons);
console.log(`| limits | ns per PUBLISH (median of ${ROUNDS} x ${CALLS}) |`);
console.log("|---|---:|");
console.log(`| off | ${a.toFixed(1)} |`);
console.log(`| on, not hit | ${b.toFixed(1)} |`);
console.log(`| added by the limits | ${(b - a).toFixed(1)} |`);
