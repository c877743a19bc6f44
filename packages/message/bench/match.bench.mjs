// Topic matching: @amqtt/message's SubscriptionTree against qlobber (the matcher
// Aedes uses, configured for MQTT as mqemitter does), same subscriptions, same
// topics, same process. Run after `pnpm build`: `pnpm --filter @amqtt/message bench`.
// Prints matches/s for both (one match = finding every subscription for one
// topic) and the ratio (ours / qlobber; above 1 means ours is faster).
import { Qlobber } from "qlobber";
import { MatchResult, SubscriptionTree } from "../dist/index.js";

const SUBSCRIPTIONS = Number(process.env.SUBSCRIPTIONS ?? 100_000);
const TOPICS = 10_000;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const MIN_MS = 600;

// Deterministic input, so runs compare (mulberry32).
let seed = 0x5eed;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (n) => Math.floor(random() * n);
const metrics = ["temp", "humidity", "status", "battery", "rssi", "power", "door", "light", "co2", "noise"];
const tenant = () => `tenant${pick(100)}`;
const site = () => `site${pick(50)}`;
const device = () => `device${pick(200)}`;
const metric = () => metrics[pick(metrics.length)];
const randomTopic = () => `${tenant()}/${site()}/${device()}/${metric()}`;

// A third of the subscriptions have wildcards, in the shapes real fleets use.
const wildcardShapes = [
  () => `${tenant()}/${site()}/+/${metric()}`,
  () => `${tenant()}/${site()}/${device()}/#`,
  () => `${tenant()}/+/${device()}/${metric()}`,
  () => `+/${site()}/${device()}/+`,
  () => `${tenant()}/${site()}/#`,
];
const filters = [];
for (let i = 0; i < SUBSCRIPTIONS; i++) {
  filters.push(i % 3 === 0 ? wildcardShapes[pick(wildcardShapes.length)]() : randomTopic());
}
// Half the published topics are subscribed exactly, half are random.
const topics = [];
for (let i = 0; i < TOPICS; i++)
  topics.push(i % 2 === 0 ? filters[1 + 3 * pick(SUBSCRIPTIONS / 3 - 1)] : randomTopic());

const tree = new SubscriptionTree();
const qlobber = new Qlobber({
  separator: "/",
  wildcard_one: "+",
  wildcard_some: "#",
  match_empty_levels: true,
});
for (let i = 0; i < filters.length; i++) {
  tree.add(filters[i], `client${i}`, i);
  qlobber.add(filters[i], i);
}

// Both must find the same subscriptions, or the comparison means nothing.
const reused = new MatchResult();
let expected = 0;
for (const topic of topics) {
  const ours = tree
    .match(topic, reused)
    .subscriptions.map((s) => s.value)
    .sort((a, b) => a - b);
  const theirs = qlobber.match(topic).sort((a, b) => a - b);
  if (ours.join() !== theirs.join()) throw new Error(`results differ for ${topic}: ${ours} vs ${theirs}`);
  expected += ours.length;
}

function measure(matchAll) {
  let calls = 0;
  let found = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    found += matchAll();
    calls += topics.length;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_MS);
  if (found !== (calls / topics.length) * expected) throw new Error("match count changed between rounds");
  return (calls / elapsed) * 1000;
}

const runs = {
  ours: () => {
    let n = 0;
    for (let i = 0; i < topics.length; i++) n += tree.match(topics[i], reused).subscriptions.length;
    return n;
  },
  "ours (new result per call)": () => {
    let n = 0;
    for (let i = 0; i < topics.length; i++) n += tree.match(topics[i]).subscriptions.length;
    return n;
  },
  qlobber: () => {
    let n = 0;
    for (let i = 0; i < topics.length; i++) n += qlobber.match(topics[i]).length;
    return n;
  },
};

// Interleave the contenders over several rounds and keep each one's best round.
const best = Object.fromEntries(Object.keys(runs).map((k) => [k, 0]));
for (const run of Object.values(runs)) measure(run); // warm up
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, run] of Object.entries(runs)) best[name] = Math.max(best[name], measure(run));
}

const fmt = (n) => Math.round(n).toLocaleString("en-US");
console.log(
  `${SUBSCRIPTIONS.toLocaleString("en-US")} subscriptions (1/3 with wildcards), ${TOPICS.toLocaleString("en-US")} topics, ${(expected / TOPICS).toFixed(2)} matches per topic, node ${process.version}`,
);
for (const [name, rate] of Object.entries(best))
  console.log(`${name.padEnd(28)} ${fmt(rate).padStart(12)} matches/s`);
console.log(`ratio ours / qlobber: ${(best.ours / best.qlobber).toFixed(2)}x`);
console.log(
  `ratio ours (new result per call) / qlobber: ${(best["ours (new result per call)"] / best.qlobber).toFixed(2)}x`,
);
