// The `amqtt` command holds V8's optimising compiler back while it starts (so an
// idle broker does not keep the compiler's code paged in: issue 19, idle RSS) and
// lets it loose once the listeners are bound, so the broker's hot path is still
// optimised. V8's `--trace-opt` (on stdout) shows both halves.
import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { makeTempDir, type TempDir } from "@amqtt/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AMQTT_BIN } from "./helpers/amqtt-process.js";

let temp: TempDir;
let child: ChildProcess | undefined;
beforeEach(() => {
  temp = makeTempDir("amqtt-cli-compiler-");
});
afterEach(() => {
  child?.kill("SIGKILL");
  child = undefined;
  temp.remove();
});

/** A line V8 prints under `--trace-opt` for each function it optimised. */
const OPTIMISED = "completed optimizing";

describe("amqtt holds the optimising compiler during start-up only", () => {
  it("optimises nothing until the listeners are bound, then optimises the broker's hot path", async () => {
    child = spawn(process.execPath, ["--trace-opt", AMQTT_BIN, "--memory", "--no-ws", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: temp.path,
    });
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (err += d));
    await until(
      () => err.includes("state in memory"),
      () => `no start in the log: ${err}`,
    );
    const port = Number(/"port":(\d+)/.exec(err)?.[1]);
    // Whatever start-up traced has reached the pipe once the broker idles a moment.
    await new Promise((r) => setTimeout(r, 300));
    expect(out.includes(OPTIMISED)).toBe(false);
    // 50,000 QoS 0 PUBLISH packets run the decoder and the publish path hot.
    await publishMany(port, 50_000);
    await until(
      () => out.includes(OPTIMISED),
      () => `nothing optimised after start-up: ${out.slice(-2000)}`,
    );
  });
});

/** Poll `condition` every 50 ms; throws `why()` after 15 s (a hang guard). */
async function until(condition: () => boolean, why: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Connect (MQTT 3.1.1, client id "hot"), send `count` QoS 0 PUBLISH packets to
 * topic `t`, then a PINGREQ; resolves on the PINGRESP, which the broker sends only
 * after it handled every PUBLISH before it (packets are handled in order).
 */
function publishMany(port: number, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("error", reject);
    // CONNECT, remaining length 15: "MQTT", level 4, clean session, keep alive 60, client id "hot".
    const connectPacket = Uint8Array.of(
      0x10,
      15,
      0,
      4,
      0x4d,
      0x51,
      0x54,
      0x54,
      4,
      0x02,
      0,
      60,
      0,
      3,
      0x68,
      0x6f,
      0x74,
    );
    // PUBLISH QoS 0, remaining length 5: topic "t" (length 1), payload "hi".
    const publish = Uint8Array.of(0x30, 5, 0, 1, 0x74, 0x68, 0x69);
    const publishes = Buffer.alloc(publish.length * count);
    for (let i = 0; i < count; i++) publishes.set(publish, i * publish.length);
    let seen = Buffer.alloc(0);
    socket.on("data", (data) => {
      seen = Buffer.concat([seen, data]);
      // CONNACK (0x20) first, PINGRESP (0xd0, 0) last.
      if (seen.length === 4) {
        if (seen[0] !== 0x20 || seen[3] !== 0)
          reject(new Error(`no accepting CONNACK: ${seen.toString("hex")}`));
        else socket.write(publishes, () => socket.write(Uint8Array.of(0xc0, 0)));
      }
      if (seen.length >= 6 && seen[seen.length - 2] === 0xd0) {
        socket.destroy();
        resolve();
      }
    });
    socket.write(connectPacket);
  });
}
