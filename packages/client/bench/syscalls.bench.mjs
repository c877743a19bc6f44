// How many write and read system calls each client makes per QoS 1 message, against
// Debian's Mosquitto (set_tcp_nodelay): per PUBLISH sent (sequential, each awaiting its
// PUBACK) and per PUBLISH received (each answered with a PUBACK), this client vs MQTT.js.
// The client runs alone in a child process under `strace -f -y`; only calls on sockets
// count (not the files read at start-up, nor the event loop's own wake-ups), and the count
// per message is (calls for 2N messages - calls for N) / N, so connecting cancels out.
// Needs strace (Debian: apt-get install strace). Run after a build:
//   node bench/syscalls.bench.mjs          (N [1000] with N=...)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMosquitto } from "./brokers.mjs";

const N = Number(process.env.N ?? 1_000);
const CALLS = ["write", "writev", "sendmsg", "read", "readv", "recvfrom"];
const child = new URL("./syscalls-child.mjs", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "amqtt-syscalls-"));

/** An `strace -f -y` log -> Map(syscall -> calls on a socket). */
function socketCalls(file) {
  const calls = new Map();
  // "1234  write(19<socket:[377948]>, ..." (a resumed call is not counted twice).
  const call = /^\d+\s+([a-z]+)\(\d+<socket:/;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const name = call.exec(line)?.[1];
    if (name !== undefined && CALLS.includes(name)) calls.set(name, (calls.get(name) ?? 0) + 1);
  }
  return calls;
}

/** A bare MQTT 3.1.1 socket that writes `count` QoS 1 PUBLISHes to `topic`, one per millisecond. */
async function publishPaced(url, topic, count) {
  const socket = connect(Number(new URL(url).port), "127.0.0.1");
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const id = Buffer.from(`syscalls-${process.pid}`);
  socket.write(
    Buffer.concat([Buffer.from([0x10, 12 + id.length, 0, 4, 77, 81, 84, 84, 4, 2, 0, 60, 0, id.length]), id]),
  );
  await new Promise((resolve) => socket.once("data", resolve)); // CONNACK
  socket.on("data", () => {});
  const name = Buffer.from(topic);
  for (let i = 0; i < count; i++) {
    const body = 2 + name.length + 2 + 64;
    const b = Buffer.alloc(2 + body, 0x61);
    b[0] = 0x32;
    b[1] = body;
    b.writeUInt16BE(name.length, 2);
    name.copy(b, 4);
    b.writeUInt16BE((i % 65_535) + 1, 4 + name.length);
    socket.write(b);
    await new Promise((r) => setTimeout(r, 1));
  }
  return socket;
}

/** Trace one child run; resolves with its syscall counts. */
async function traced(which, url, mode, count) {
  const out = join(dir, `${which}-${mode}-${count}.txt`);
  const topic = `bench/syscalls/${which}/${count}`;
  const p = spawn(
    "strace",
    [
      "-f",
      "-y",
      "-qq",
      "-o",
      out,
      "-e",
      `trace=${CALLS.join(",")}`,
      process.execPath,
      child,
      which,
      url,
      mode,
      `${count}`,
      topic,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise((resolve, reject) =>
    p.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${which} ${mode} exited ${code}`)))),
  );
  let publisher;
  if (mode === "receive") {
    await new Promise((resolve) => p.stdout.once("data", resolve)); // "ready": subscribed
    publisher = await publishPaced(url, topic, count);
  }
  await exited;
  publisher?.destroy();
  return socketCalls(out);
}

const sum = (calls, names) => names.reduce((s, n) => s + (calls.get(n) ?? 0), 0);
const broker = await startMosquitto({ noDelay: true });
try {
  console.log(
    `Socket system calls per QoS 1 message (strace -f -y, (2N - N) / N with N = ${N}), Mosquitto ${broker.version}`,
  );
  console.log("| client | per PUBLISH sent: writes | reads | per PUBLISH received: writes | reads |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const which of ["ours", "mqttjs"]) {
    const cells = [];
    for (const mode of ["publish", "receive"]) {
      const one = await traced(which, broker.url, mode, N);
      const two = await traced(which, broker.url, mode, 2 * N);
      for (const names of [
        ["write", "writev", "sendmsg"],
        ["read", "readv", "recvfrom"],
      ])
        cells.push(((sum(two, names) - sum(one, names)) / N).toFixed(2));
    }
    console.log(`| ${which === "ours" ? "@amqtt/client" : "MQTT.js"} | ${cells.join(" | ")} |`);
  }
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
