// The measures of latency.bench.mjs. Each one is prepared once per connected client
// (`prepare(c, url)`) and then run in blocks (`block(count)` resolves with that many
// samples in µs), so the bench can interleave short blocks of the two clients and let
// the machine's load fall on both alike.
import { connect } from "node:net";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** p50, p99 and p99.9 of `samples` (µs; a Float64Array sorts numerically), sorted in place. */
export function percentiles(samples) {
  samples.sort();
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(samples.length * q))];
  return { p50: at(0.5), p99: at(0.99), "p99.9": at(0.999) };
}

/** Call `fire(i)` for i < count on a fixed schedule of `rate` per second (open loop). */
async function paced(count, rate, fire) {
  const interval = 1000 / rate;
  const t0 = performance.now();
  let i = 0;
  while (i < count) {
    const now = performance.now();
    // A late timer starts every publish that is due at once.
    while (i < count && t0 + i * interval <= now) fire(i++);
    if (i < count) await sleep(Math.max(0, t0 + i * interval - performance.now()));
  }
}

/** One QoS 1 publish in flight: the next one starts at the PUBACK. */
export function sequential() {
  return {
    prepare: async (c) => ({
      async block(count) {
        const samples = new Float64Array(count);
        for (let i = 0; i < count; i++) {
          const t0 = performance.now();
          await c.publish("bench/rtt", 1);
          samples[i] = (performance.now() - t0) * 1000;
        }
        return samples;
      },
      close() {},
    }),
  };
}

/** QoS 1 publishes started at `rate` per second, each timed from publish() to its resolution. */
export function atRate(rate) {
  return {
    prepare: async (c) => ({
      async block(count) {
        const samples = new Float64Array(count);
        const all = new Array(count);
        await paced(count, rate, (i) => {
          const t0 = performance.now();
          all[i] = c.publish("bench/rate", 1).then(() => {
            samples[i] = (performance.now() - t0) * 1000;
          });
        });
        await Promise.all(all);
        return samples;
      },
      close() {},
    }),
  };
}

/**
 * The receive latency of a QoS 1 subscriber: a bare-socket publisher (one per client,
 * on its own topic) writes QoS 1 PUBLISHes at `rate` per second with the send time in
 * the payload; the client reads them as its users would.
 */
export function receive(rate, payload) {
  return {
    prepare: async (c, url) => {
      const topic = `bench/recv/${Math.random().toString(36).slice(2, 8)}`;
      let samples = new Float64Array(0);
      let got = 0;
      let allIn = () => {};
      await c.subscribe(topic, (bytes) => {
        const sent = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readDoubleLE(0);
        if (got < samples.length) samples[got++] = (performance.now() - sent) * 1000;
        if (got === samples.length) allIn();
      });
      const publisher = await stampingPublisher(url, topic, payload);
      return {
        async block(count) {
          samples = new Float64Array(count);
          got = 0;
          const done = new Promise((r) => {
            allIn = r;
          });
          await paced(count, rate, () => publisher.send());
          let timer;
          const late = new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`receive: ${got} of ${count} after 10 s`)), 10_000);
          });
          try {
            await Promise.race([done, late]);
          } finally {
            clearTimeout(timer);
          }
          return samples;
        },
        close: () => publisher.close(),
      };
    },
  };
}

/** A bare MQTT 3.1.1 socket that writes QoS 1 PUBLISHes stamped with performance.now(). */
async function stampingPublisher(url, topic, payload) {
  const socket = connect(Number(new URL(url).port), "127.0.0.1");
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const id = Buffer.from(`stamper-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  socket.write(
    Buffer.concat([Buffer.from([0x10, 12 + id.length, 0, 4, 77, 81, 84, 84, 4, 2, 0, 60, 0, id.length]), id]),
  );
  await new Promise((resolve) => socket.once("data", resolve)); // CONNACK
  socket.on("data", () => {}); // PUBACKs: read and dropped
  const name = Buffer.from(topic);
  const body = 2 + name.length + 2 + payload.length;
  if (body >= 128) throw new Error("stamped packets must stay below 128 bytes");
  let packetId = 0;
  return {
    send() {
      const b = Buffer.alloc(2 + body);
      b[0] = 0x32;
      b[1] = body;
      b.writeUInt16BE(name.length, 2);
      name.copy(b, 4);
      packetId = (packetId % 65_535) + 1;
      b.writeUInt16BE(packetId, 4 + name.length);
      b.set(payload, 6 + name.length);
      b.writeDoubleLE(performance.now(), 6 + name.length);
      socket.write(b);
    },
    close: () => socket.destroy(),
  };
}
