// Slow-consumer benchmark (issue 14): against running brokers, one QoS 1
// subscriber that stops reading (keeps its connection), one healthy QoS 1
// subscriber, one QoS 1 publisher sending COUNT publishes (or for at most
// SECONDS) with a window of WINDOW unacknowledged. Reports PUBACKs per second
// to the publisher and deliveries to the healthy subscriber, per broker.
//   node bench/slow-consumer.mjs name=port [name=port ...]
// Knobs (environment): COUNT (200000), SECONDS (20), WINDOW (1000), PAYLOAD (bytes, 32),
// SLOW=0 (the "slow" subscriber reads and acknowledges too: the baseline).
// Raw MQTT 3.1.1 over TCP with @amqtt/codec: no client library sets the pace.
import { connect } from "node:net";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { Decoder, encode, PacketType } from "@amqtt/codec";

const COUNT = Number(process.env.COUNT ?? 200_000);
const SECONDS = Number(process.env.SECONDS ?? 20);
const WINDOW = Number(process.env.WINDOW ?? 1000);
const PAYLOAD = new Uint8Array(Number(process.env.PAYLOAD ?? 32)).fill(120);
const TOPIC = "bench/slow-consumer";

/** Open a 3.1.1 connection, CONNECT, wait for CONNACK; `onPacket(packet, reply)` gets every later packet. */
function client(port, clientId, onPacket) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.setNoDelay(true);
    const decoder = new Decoder({ protocolVersion: 4, maxPacketSize: 16 * 1024 * 1024 });
    let connected = false;
    socket.on("error", reject);
    // Answers to one chunk go out in one write (a client library batches them too).
    const replies = [];
    const reply = (bytes) => replies.push(bytes);
    socket.on("data", (chunk) => {
      for (const p of decoder.decodeAll(chunk)) {
        if (!connected && p.type === PacketType.CONNACK) {
          connected = true;
          if (p.reasonCode !== 0) reject(new Error(`${clientId}: CONNACK ${p.reasonCode}`));
          else resolve(socket);
        } else onPacket(p, reply);
      }
      if (replies.length > 0) socket.write(Buffer.concat(replies.splice(0)));
    });
    socket.write(
      encode({ type: PacketType.CONNECT, protocolVersion: 4, clean: true, keepAlive: 0, clientId }, 4),
    );
  });
}

/** SUBSCRIBE at QoS 1 and wait for the SUBACK (signalled through `suback`). */
function subscribe(socket, suback) {
  socket.write(
    encode({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: TOPIC, qos: 1 }] }, 4),
  );
  return suback;
}

async function run(name, port) {
  // The slow subscriber: subscribes, then never reads its socket again.
  let slowSubacked;
  const slowSuback = new Promise((r) => {
    slowSubacked = r;
  });
  const slow = await client(port, `sc-slow-${process.pid}`, (p, reply) => {
    if (p.type === PacketType.SUBACK) slowSubacked();
    else if (p.type === PacketType.PUBLISH && p.qos === 1)
      reply(encode({ type: PacketType.PUBACK, packetId: p.packetId }, 4));
  });
  await subscribe(slow, slowSuback);
  // SLOW=0: the slow subscriber reads like the healthy one (a baseline without a slow consumer).
  if (process.env.SLOW !== "0") slow.pause();

  // The healthy subscriber, in its own thread (as it would be its own process): acknowledges every PUBLISH.
  const healthy = new Worker(new URL(import.meta.url), { workerData: { port } });
  await new Promise((resolve, reject) => {
    healthy.once("message", resolve);
    healthy.once("error", reject);
  });

  // The publisher: at most WINDOW unacknowledged, packet ids 1..65535 reused in turn.
  let acked = 0;
  let sent = 0;
  let pump;
  const publisher = await client(port, `sc-pub-${process.pid}`, (p) => {
    if (p.type === PacketType.PUBACK) {
      acked++;
      pump();
    }
  });
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  let finished = false;
  let resolveDone;
  const done = new Promise((resolve) => {
    resolveDone = resolve;
  });
  pump = () => {
    if (finished) return;
    const now = performance.now();
    // Done: all acknowledged, or the time is up (2 s more for the last PUBACKs).
    if (acked >= COUNT || (now >= deadline && sent === acked) || now >= deadline + 2000) {
      finished = true;
      clearInterval(timer);
      resolveDone(now);
      return;
    }
    const chunks = [];
    while (sent < COUNT && sent - acked < WINDOW && now < deadline) {
      sent++;
      const packetId = ((sent - 1) % 65535) + 1;
      chunks.push(
        encode(
          {
            type: PacketType.PUBLISH,
            topic: TOPIC,
            payload: PAYLOAD,
            qos: 1,
            packetId,
            retain: false,
            dup: false,
          },
          4,
        ),
      );
    }
    if (chunks.length > 0) publisher.write(Buffer.concat(chunks));
  };
  // A publisher the broker paused gets no PUBACK to pump on: the timer ends the run.
  const timer = setInterval(() => pump(), 100);
  pump();
  const ended = await done;
  // Give the healthy subscriber a moment to get what is still on its way (not counted in the time).
  await new Promise((r) => setTimeout(r, 500));
  const seconds = (ended - started) / 1000;
  healthy.postMessage("report");
  const delivered = await new Promise((resolve) => healthy.once("message", resolve));
  await healthy.terminate();
  for (const s of [publisher, slow]) s.destroy();
  return {
    name,
    seconds: Number(seconds.toFixed(2)),
    sent,
    pubacks: acked,
    pubacksPerSecond: Math.round(acked / seconds),
    healthyDelivered: delivered,
    healthyPerSecond: Math.round(delivered / seconds),
  };
}

/** The healthy subscriber's thread: subscribe, say "ready", count and acknowledge, answer "report" with the count. */
async function healthySubscriber(port) {
  let subacked;
  const suback = new Promise((r) => {
    subacked = r;
  });
  let delivered = 0;
  const socket = await client(port, `sc-healthy-${process.pid}`, (p, reply) => {
    if (p.type === PacketType.SUBACK) subacked();
    else if (p.type === PacketType.PUBLISH) {
      delivered++;
      if (p.qos === 1) reply(encode({ type: PacketType.PUBACK, packetId: p.packetId }, 4));
    }
  });
  await subscribe(socket, suback);
  parentPort.postMessage("ready");
  parentPort.on("message", () => {
    parentPort.postMessage(delivered);
    socket.destroy();
  });
}

if (!isMainThread) {
  await healthySubscriber(workerData.port);
} else {
  await main();
}

async function main() {
  const targets = process.argv.slice(2).map((arg) => {
    const [name, port] = arg.split("=");
    return { name, port: Number(port) };
  });
  if (targets.length === 0) {
    console.error("usage: node slow-consumer.mjs name=port [name=port ...]");
    process.exit(2);
  }
  console.log(
    `# slow consumer: ${COUNT} QoS 1 publishes (at most ${SECONDS} s, window ${WINDOW}, ${PAYLOAD.length} B), one subscriber that stops reading, one healthy subscriber`,
  );
  console.log("| broker | seconds | PUBACKs | PUBACKs/s | healthy deliveries | deliveries/s |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  const results = [];
  for (const t of targets) {
    const r = await run(t.name, t.port);
    results.push(r);
    console.log(
      `| ${r.name} | ${r.seconds} | ${r.pubacks} | ${r.pubacksPerSecond} | ${r.healthyDelivered} | ${r.healthyPerSecond} |`,
    );
  }
  const ref = results.find((r) => r.name === "mosquitto");
  if (ref !== undefined) {
    console.log("\nratios to mosquitto (PUBACKs/s, deliveries/s):");
    for (const r of results)
      console.log(
        `  ${r.name}: ${(r.pubacksPerSecond / ref.pubacksPerSecond).toFixed(3)}, ${(r.healthyPerSecond / ref.healthyPerSecond).toFixed(3)}`,
      );
  }
  process.exit(0);
}
