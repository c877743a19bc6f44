// The floor of Node's net module for relaying PUBLISH (bench/relay-floor.sh): only what
// any MQTT relay on net.Socket must do, no MQTT logic beyond it. CONNECT gets a fixed
// CONNACK, SUBSCRIBE a SUBACK granting the requested QoS (at most 1), PINGREQ a PINGRESP.
// A PUBLISH goes to every socket holding a matching filter (exact, "#" or "prefix/#"):
// QoS 0 as the bytes came in; QoS 1 gets a PUBACK to the publisher and goes out with a
// packet id of the subscriber's own (a copy per subscriber); a subscriber's PUBACK is read
// and dropped (QoS 2 is not handled). No sessions, no retained messages, no in-flight bookkeeping, no auth.
// What it does to be cheap, as a broker may: the output of one read is written once per
// socket (contiguous forwarded bytes as one view of the read, no copy); a subscriber with
// 64 KiB queued in Node pauses the publisher that fed it until it drains (the broker's
// DEFAULT_WRITE_HIGH_WATER_MARK), so memory stays bounded as it does in ours.
//   node relay-floor-server.mjs PORT
import { createServer } from "node:net";

const CONNACK = Buffer.from([0x20, 2, 0, 0]);
const PINGRESP = Buffer.from([0xd0, 0]);
const BACKLOG_LIMIT = 64 * 1024;

/** Every subscription: { out, prefix (Buffer), wild ("#" at the end), qos }. */
const subscriptions = new Set();
/** `subscriptions` as an array for the per-PUBLISH loop, rebuilt after a change. */
let subscriptionList = [];
/** Output queues written during this read, flushed at its end. */
const touched = [];

/** Per socket: the queued output as (buffer, start, end) triples and the next packet id. */
function outputOf(socket) {
  return { socket, parts: [], bytes: 0, nextId: 0, paused: [], queued: false, subs: [] };
}

/** Queue buf[start, end) on `out` for the flush at the end of this read. */
function enqueue(out, buf, start, end) {
  const parts = out.parts;
  const n = parts.length;
  // Contiguous with the last part of the same read: widen it instead of adding one.
  if (n > 0 && parts[n - 3] === buf && parts[n - 1] === start) parts[n - 1] = end;
  else parts.push(buf, start, end);
  out.bytes += end - start;
  if (!out.queued) {
    out.queued = true;
    touched.push(out);
  }
}

/** One write of everything queued on `out`; pauses `source` if `out` is backlogged. */
function flush(out, source) {
  const parts = out.parts;
  let data;
  if (parts.length === 3) data = parts[0].subarray(parts[1], parts[2]);
  else {
    data = Buffer.allocUnsafe(out.bytes);
    for (let i = 0, at = 0; i < parts.length; i += 3)
      at += parts[i].copy(data, at, parts[i + 1], parts[i + 2]);
  }
  parts.length = 0;
  out.bytes = 0;
  out.queued = false;
  if (out.socket.destroyed) return;
  out.socket.write(data);
  if (out !== source && out.socket.writableLength >= BACKLOG_LIMIT && !source.socket.isPaused()) {
    source.socket.pause();
    if (out.paused.length === 0) out.socket.once("drain", () => resumeAll(out));
    out.paused.push(source.socket);
  }
}

/** Resume the publishers that `out`'s backlog paused. */
function resumeAll(out) {
  for (const socket of out.paused) if (!socket.destroyed) socket.resume();
  out.paused.length = 0;
}

/** Does topic buf[start, end) match the subscription's filter? Bytes only, no string. */
function matches(sub, buf, start, end) {
  const p = sub.prefix;
  const len = end - start;
  if (sub.wild) {
    // "a/#" matches "a" itself and everything under "a/".
    if (len < p.length - 1) return false;
    const n = len === p.length - 1 ? len : p.length;
    for (let i = 0; i < n; i++) if (buf[start + i] !== p[i]) return false;
    return true;
  }
  if (len !== p.length) return false;
  for (let i = 0; i < len; i++) if (buf[start + i] !== p[i]) return false;
  return true;
}

/** Register each filter of a SUBSCRIBE (body at buf[body, end)) and queue its SUBACK. */
function onSubscribe(out, buf, body, end) {
  const ack = [buf[body], buf[body + 1]];
  for (let i = body + 2; i + 2 < end; ) {
    const len = (buf[i] << 8) | buf[i + 1];
    const filter = Buffer.from(buf.subarray(i + 2, i + 2 + len));
    const qos = Math.min(buf[i + 2 + len] & 3, 1);
    const wild = filter[len - 1] === 0x23; // '#'
    const sub = { out, prefix: wild ? filter.subarray(0, len - 1) : filter, wild, qos };
    subscriptions.add(sub);
    out.subs.push(sub);
    ack.push(qos);
    i += 3 + len;
  }
  subscriptionList = [...subscriptions];
  const suback = Buffer.from([0x90, ack.length, ...ack]);
  enqueue(out, suback, 0, suback.length);
}

/** PUBACK a QoS 1 PUBLISH (buf[start, end), body from `body`) and queue it for each match. */
function onPublish(out, buf, start, body, end) {
  const qos = (buf[start] >> 1) & 3;
  const topicLen = (buf[body] << 8) | buf[body + 1];
  const topic = body + 2;
  const afterTopic = topic + topicLen;
  if (qos === 1) {
    const puback = Buffer.from([0x40, 2, buf[afterTopic], buf[afterTopic + 1]]);
    enqueue(out, puback, 0, 4);
  }
  const list = subscriptionList;
  for (let k = 0; k < list.length; k++) {
    const sub = list[k];
    if (!matches(sub, buf, topic, afterTopic)) continue;
    if (qos === 0) enqueue(sub.out, buf, start, end);
    else if (sub.qos === 1) {
      const copy = Buffer.from(buf.subarray(start, end));
      sub.out.nextId = sub.out.nextId === 0xffff ? 1 : sub.out.nextId + 1;
      copy[afterTopic - start] = sub.out.nextId >> 8;
      copy[afterTopic - start + 1] = sub.out.nextId & 0xff;
      enqueue(sub.out, copy, 0, copy.length);
    } else {
      const copy = downgrade(buf, afterTopic, end, body);
      enqueue(sub.out, copy, 0, copy.length);
    }
  }
}

/** A QoS 1 PUBLISH re-framed as QoS 0 for a QoS 0 subscription (no packet id). */
function downgrade(buf, afterTopic, end, body) {
  const rest = end - body - 2;
  const head = [0x30];
  for (let n = rest; ; ) {
    head.push((n & 127) | (n > 127 ? 128 : 0));
    n >>= 7;
    if (n === 0) break;
  }
  return Buffer.concat([
    Buffer.from(head),
    buf.subarray(body, afterTopic),
    buf.subarray(afterTopic + 2, end),
  ]);
}

const server = createServer({ noDelay: true }, (socket) => {
  const out = outputOf(socket);
  let rest = null;
  socket.on("data", (chunk) => {
    const buf = rest === null ? chunk : Buffer.concat([rest, chunk]);
    rest = null;
    let i = 0;
    while (i < buf.length) {
      // Fixed header: type, then a remaining length of up to four bytes.
      let len = 0;
      let mul = 1;
      let j = i + 1;
      let b = 128;
      while (b & 128 && j < buf.length) {
        b = buf[j++];
        len += (b & 127) * mul;
        mul *= 128;
      }
      if (b & 128 || j + len > buf.length) break;
      const type = buf[i] >> 4;
      const end = j + len;
      if (type === 3) onPublish(out, buf, i, j, end);
      else if (type === 1) enqueue(out, CONNACK, 0, CONNACK.length);
      else if (type === 8) onSubscribe(out, buf, j, end);
      else if (type === 12) enqueue(out, PINGRESP, 0, PINGRESP.length);
      else if (type === 14) socket.end();
      // PUBACK (4) from a subscriber: consumed, nothing to do.
      i = end;
    }
    if (i < buf.length) rest = buf.subarray(i);
    for (let k = 0; k < touched.length; k++) flush(touched[k], out);
    touched.length = 0;
  });
  socket.on("close", () => {
    if (out.subs.length > 0) {
      for (const sub of out.subs) subscriptions.delete(sub);
      subscriptionList = [...subscriptions];
    }
    resumeAll(out);
  });
  socket.on("error", () => {});
});
server.listen(Number(process.argv[2]), "127.0.0.1");
