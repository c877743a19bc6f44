// The client's own CPU cost per publish, with no network and no broker work: a fake
// connection answers CONNECT with CONNACK and every QoS 1 PUBLISH with a PUBACK
// (batched per event-loop turn, as a socket read would deliver them).
//   node bench/cpu.bench.mjs            (after `pnpm --filter @amqtt/client build`)
//   node --cpu-prof bench/cpu.bench.mjs (to profile the client alone)
import { ConnectionBase } from "@amqtt/transport";
import { MQTTClient } from "../dist/index.js";

const COUNT = Number(process.env.COUNT ?? 30_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const QOS = Number(process.env.QOS ?? 1);
const payload = new Uint8Array(64).fill(0x61);
const address = { transport: "fake" };

/** A broker that costs (almost) nothing: it scans the fixed headers of what the client writes. */
class AckingConnection extends ConnectionBase {
  localAddress = address;
  remoteAddress = address;
  #pending = [];
  #queued = false;
  #rest = new Uint8Array(0);
  constructor() {
    super({ maxBufferedBytes: 1 << 30 });
  }
  get carrierBufferedBytes() {
    return 0;
  }
  write(bytes) {
    let buf = bytes;
    if (this.#rest.length > 0) {
      buf = new Uint8Array(this.#rest.length + bytes.length);
      buf.set(this.#rest);
      buf.set(bytes, this.#rest.length);
    }
    let i = 0;
    for (;;) {
      if (i + 2 > buf.length) break;
      let len = 0;
      let mul = 1;
      let j = i + 1;
      for (;;) {
        if (j >= buf.length) break;
        const b = buf[j++];
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) break;
      }
      if (j + len > buf.length) break;
      const type = buf[i] >> 4;
      if (type === 1) this.#answer(Uint8Array.of(0x20, 2, 0, 0));
      else if (type === 3 && ((buf[i] >> 1) & 3) === 1) {
        const topicLength = (buf[j] << 8) | buf[j + 1];
        const id = j + 2 + topicLength;
        this.#answer(Uint8Array.of(0x40, 2, buf[id], buf[id + 1]));
      }
      i = j + len;
    }
    this.#rest = buf.subarray(i);
    return true;
  }
  #answer(bytes) {
    this.#pending.push(bytes);
    if (this.#queued) return;
    this.#queued = true;
    setImmediate(() => {
      this.#queued = false;
      const all = this.#pending;
      this.#pending = [];
      // One read of everything answered in this turn, as a socket would deliver it.
      this.carrierReceived(Buffer.concat(all));
    });
  }
  pauseCarrier() {}
  resumeCarrier() {}
  endCarrier() {
    setImmediate(() => this.carrierClosed());
  }
  destroyCarrier() {
    setImmediate(() => this.carrierClosed());
  }
}

const results = [];
for (let round = 0; round < ROUNDS + 1; round++) {
  const c = new MQTTClient({
    config: { keep_alive: 60, auto_reconnect: false, dial: async () => new AckingConnection() },
  });
  await c.connect("mqtt://fake");
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const all = [];
  for (let i = 0; i < COUNT; i++) all.push(c.publish("bench/1", payload, { qos: QOS }));
  await Promise.all(all);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await c.disconnect();
  // Round 0 warms the JIT up and is not counted.
  if (round > 0) results.push({ rate: (COUNT / ms) * 1000, us: (cpu.user + cpu.system) / COUNT });
}
results.sort((a, b) => a.rate - b.rate);
const mid = results[Math.floor(results.length / 2)];
console.log(
  `QoS ${QOS}, ${COUNT} publishes, median of ${ROUNDS}: ${mid.rate.toFixed(0)} msg/s, ${mid.us.toFixed(2)} µs CPU per message`,
);
