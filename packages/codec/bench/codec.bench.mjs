// Codec benchmark: @amqtt/codec against mqtt-packet (the codec of MQTT.js and Aedes)
// in the same process and run. Encode: one packet per call. Decode: a stream of
// packets cut into 64 KiB chunks (packets straddle chunk boundaries, as on a socket).
// Each case: a warm-up run, then RUNS [5] timed runs of SECONDS [1] s; prints medians
// and the ratio ours/theirs. Pin it for steadier numbers: `taskset -c 1 pnpm bench`.
//
// WARMUP=poly first encodes and decodes a varied mix (every packet type at every
// protocol level, ./mix.mjs) many times in both codecs, then measures only the
// small PUBLISH cases: the numbers a long-running broker sees, after its call
// sites have met every packet shape. `pnpm bench:poly`.
import { createRequire } from "node:module";
import { Decoder, encode } from "../dist/index.js";
import { packetMix, theirMix } from "./mix.mjs";

const require = createRequire(import.meta.url);
const mqtt = require("mqtt-packet");
const RUNS = Number(process.env.RUNS || 5);
const SECONDS = Number(process.env.SECONDS || 1);
const CHUNK = 64 * 1024;

function timeLoop(fn) {
  let ops = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(SECONDS * 1e9));
  let t;
  do {
    ops += fn();
    t = process.hrtime.bigint();
  } while (t < end);
  return ops / (Number(t - t0) / 1e9);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function measure(fn) {
  timeLoop(fn);
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(timeLoop(fn));
  return median(runs);
}

// ---- the cases: our packet, mqtt-packet's packet, and the protocol version ----
const payload64 = new Uint8Array(64).fill(0x61);
const payload1k = new Uint8Array(1024).fill(0x61);
const cases = [
  {
    name: "PUBLISH QoS 1, 64 B (3.1.1)",
    version: 4,
    ours: { type: 3, topic: "bench/0", payload: payload64, qos: 1, retain: false, dup: false, packetId: 1 },
    theirs: {
      cmd: "publish",
      topic: "bench/0",
      payload: Buffer.from(payload64),
      qos: 1,
      retain: false,
      dup: false,
      messageId: 1,
    },
    idField: true,
  },
  {
    name: "PUBLISH QoS 1, 1 KiB (3.1.1)",
    version: 4,
    ours: { type: 3, topic: "bench/0", payload: payload1k, qos: 1, retain: false, dup: false, packetId: 1 },
    theirs: {
      cmd: "publish",
      topic: "bench/0",
      payload: Buffer.from(payload1k),
      qos: 1,
      retain: false,
      dup: false,
      messageId: 1,
    },
    idField: true,
  },
  {
    name: "CONNECT 5.0 with properties",
    version: 5,
    ours: {
      type: 1,
      protocolVersion: 5,
      clean: true,
      keepAlive: 60,
      clientId: "bench-client-0001",
      username: "user",
      password: new TextEncoder().encode("secret"),
      properties: {
        sessionExpiryInterval: 3600,
        receiveMaximum: 100,
        maximumPacketSize: 1048576,
        topicAliasMaximum: 10,
        requestProblemInformation: 1,
        userProperties: [
          ["region", "eu"],
          ["tier", "gold"],
        ],
      },
      will: {
        topic: "clients/bench/status",
        payload: new TextEncoder().encode("offline"),
        qos: 1,
        retain: true,
        properties: { willDelayInterval: 10, contentType: "text/plain" },
      },
    },
    theirs: {
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 5,
      clean: true,
      keepalive: 60,
      clientId: "bench-client-0001",
      username: "user",
      password: Buffer.from("secret"),
      properties: {
        sessionExpiryInterval: 3600,
        receiveMaximum: 100,
        maximumPacketSize: 1048576,
        topicAliasMaximum: 10,
        requestProblemInformation: true,
        userProperties: { region: "eu", tier: "gold" },
      },
      will: {
        topic: "clients/bench/status",
        payload: Buffer.from("offline"),
        qos: 1,
        retain: true,
        properties: { willDelayInterval: 10, contentType: "text/plain" },
      },
    },
  },
  {
    name: "SUBSCRIBE with 10 filters (3.1.1)",
    version: 4,
    ours: {
      type: 8,
      packetId: 7,
      subscriptions: Array.from({ length: 10 }, (_, i) => ({
        topicFilter: `sensors/${i}/+/temperature`,
        qos: i % 3,
      })),
    },
    theirs: {
      cmd: "subscribe",
      messageId: 7,
      subscriptions: Array.from({ length: 10 }, (_, i) => ({
        topic: `sensors/${i}/+/temperature`,
        qos: i % 3,
      })),
    },
  },
];

function encodeOurs(c) {
  const p = c.ours;
  let id = 0;
  return () => {
    let bytes = 0;
    for (let i = 0; i < 1000; i++) {
      if (c.idField) p.packetId = id = (id % 65535) + 1;
      bytes += encode(p, c.version).length;
    }
    if (bytes === 0) throw new Error("nothing encoded");
    return 1000;
  };
}

function encodeTheirs(c) {
  const p = c.theirs;
  let id = 0;
  return () => {
    let bytes = 0;
    for (let i = 0; i < 1000; i++) {
      if (c.idField) p.messageId = id = (id % 65535) + 1;
      bytes += mqtt.generate(p, { protocolVersion: c.version }).length;
    }
    if (bytes === 0) throw new Error("nothing generated");
    return 1000;
  };
}

function stream(c, n) {
  const one = encode(c.ours, c.version);
  const all = new Uint8Array(one.length * n);
  for (let i = 0; i < n; i++) all.set(one, i * one.length);
  const chunks = [];
  for (let o = 0; o < all.length; o += CHUNK)
    chunks.push(Buffer.from(all.subarray(o, Math.min(o + CHUNK, all.length))));
  return chunks;
}

function decodeOurs(c, chunks, n) {
  const decoder = new Decoder({ protocolVersion: c.version });
  const type = c.ours.type;
  return () => {
    let got = 0;
    for (const chunk of chunks) {
      decoder.push(chunk);
      for (let p = decoder.next(); p !== undefined; p = decoder.next()) {
        if (p.type !== type) throw new Error("wrong packet");
        got++;
      }
    }
    if (got !== n) throw new Error(`decoded ${got} of ${n}`);
    return n;
  };
}

function decodeTheirs(c, chunks, n) {
  let got = 0;
  const parser = mqtt.parser({ protocolVersion: c.version });
  parser.on("packet", (p) => {
    if (p.cmd !== c.theirs.cmd) throw new Error("wrong packet");
    got++;
  });
  parser.on("error", (e) => {
    throw e;
  });
  return () => {
    const before = got;
    for (const chunk of chunks) parser.parse(chunk);
    if (got - before !== n) throw new Error(`parsed ${got - before} of ${n}`);
    return n;
  };
}

// Sanity: both codecs produce the same bytes for each case, so we compare like with like.
for (const c of cases) {
  if (c.idField) c.ours.packetId = c.theirs.messageId = 1;
  const a = Buffer.from(encode(c.ours, c.version));
  const b = mqtt.generate(c.theirs, { protocolVersion: c.version });
  if (a.length !== b.length)
    console.warn(`note: ${c.name}: ours ${a.length} bytes, mqtt-packet ${b.length} bytes`);
}

const polymorphic = process.env.WARMUP === "poly";
if (polymorphic) {
  const mix = packetMix();
  const wires = mix.map(([p, v]) => [encode(p, v), v]);
  // Decoded packets are re-encoded too, as a broker forwards them.
  for (const [bytes, v] of [...wires]) mix.push([new Decoder({ protocolVersion: v }).decodeAll(bytes)[0], v]);
  const theirWires = theirMix.map((p) => mqtt.generate(p, { protocolVersion: p.protocolVersion ?? 4 }));
  for (let round = 0; round < 20_000; round++) {
    for (const [p, v] of mix) encode(p, v);
    for (const [bytes, v] of wires) new Decoder({ protocolVersion: v }).decodeAll(bytes);
    for (const p of theirMix) mqtt.generate(p, { protocolVersion: p.protocolVersion ?? 4 });
    if (round % 10 === 0) {
      const parser = mqtt.parser({ protocolVersion: 4 });
      parser.on("error", () => {});
      for (const b of theirWires) parser.parse(b);
    }
  }
  cases.splice(1); // the small PUBLISH only
}

const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`);
const rows = [];
for (const c of cases) {
  const n = 2000;
  const chunks = stream(c, n);
  const eo = measure(encodeOurs(c));
  const et = measure(encodeTheirs(c));
  const dOurs = measure(decodeOurs(c, chunks, n));
  const dTheirs = measure(decodeTheirs(c, chunks, n));
  rows.push([c.name, "encode", eo, et], [c.name, "decode", dOurs, dTheirs]);
}
console.log(
  `mqtt-packet ${require("mqtt-packet/package.json").version}, Node ${process.version}, medians of ${RUNS} x ${SECONDS}s (packets/s)${polymorphic ? ", after a polymorphic warm-up" : ""}\n`,
);
console.log("| case | op | @amqtt/codec | mqtt-packet | ratio |");
console.log("|---|---|---:|---:|---:|");
for (const [name, op, ours, theirs] of rows) {
  console.log(`| ${name} | ${op} | ${fmt(ours)} | ${fmt(theirs)} | ${(ours / theirs).toFixed(2)}x |`);
}
