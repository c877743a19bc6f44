// What a log line costs: our text and JSON lines (redaction, component, time) against
// the named peer "bare JSON.stringify" (the same record serialized with nothing else),
// and a call below the level. Lines go to a no-op sink, so only formatting is measured.
// Run after `pnpm --filter @amqtt/broker build`: node packages/broker/bench/logger.mjs
import { createLogger } from "../dist/index.js";

const N = Number(process.env.N ?? 200_000);
const fields = { clientId: "sensor-1", username: "alice", listener: "default", password: "x" };
const sink = () => {};

function time(run) {
  const t = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const cases = {
  "bare JSON.stringify (peer)": () => {
    for (let i = 0; i < N; i++)
      sink(
        `${JSON.stringify({ time: new Date().toISOString(), level: "info", msg: "client connected", fields })}\n`,
      );
  },
  text: () => {
    const log = createLogger({ write: sink }).child("plugins").child("event-logger");
    for (let i = 0; i < N; i++) log.info("client connected", fields);
  },
  json: () => {
    const log = createLogger({ write: sink, format: "json" }).child("plugins").child("event-logger");
    for (let i = 0; i < N; i++) log.info("client connected", fields);
  },
  "below the level": () => {
    const log = createLogger({ write: sink, level: "warn" }).child("plugins").child("event-logger");
    for (let i = 0; i < N; i++) log.info("client connected", fields);
  },
};

const best = {};
for (let round = 0; round < 3; round++)
  for (const [name, run] of Object.entries(cases)) best[name] = Math.min(best[name] ?? Infinity, time(run));
const peer = best["bare JSON.stringify (peer)"];
console.log(`| case | ns per line | time vs peer |`);
console.log(`| --- | --- | --- |`);
for (const [name, ms] of Object.entries(best))
  console.log(`| ${name} | ${((ms * 1e6) / N).toFixed(0)} | ${(ms / peer).toFixed(2)} |`);
