import { execFile, spawn } from "node:child_process";
import { connect as netConnect } from "node:net";
import { promisify } from "node:util";
import { certPath } from "@amqtt/test-utils";
import { describe, expect, it } from "vitest";
import type { Broker } from "../../src/index.js";
import { mqttClient, nextMessages, startBroker, tlsListener } from "./tcp.js";

const run = promisify(execFile);

/** Run mosquitto_sub until it has printed `count` lines; returns them. */
function mosquittoSub(
  broker: Broker,
  args: string[],
  count: number,
): { lines: Promise<string[]>; ready: Promise<void> } {
  // Ready when the broker has granted its subscription (mosquitto_sub prints nothing then).
  const ready = new Promise<void>((resolve) => broker.once("clientSubscribed", () => resolve()));
  const child = spawn("mosquitto_sub", [...args, "-C", String(count), "-W", "10"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const lines = new Promise<string[]>((resolve, reject) => {
    // "close", not "exit": only then has all of its output been read.
    child.once("close", (code) =>
      code === 0
        ? resolve(out.trim().split("\n"))
        : reject(new Error(`mosquitto_sub exited ${code}: ${err}`)),
    );
  });
  // mosquitto_sub has no "subscribed" signal on stdout; -d prints the SUBACK on stderr... keep it simple with a short wait.
  return { lines, ready };
}

describe.each([
  ["mqttv311", 4],
  ["mqttv5", 5],
] as const)("Debian's mosquitto clients, %s", (version, _level) => {
  it("mosquitto_pub publishes and mosquitto_sub receives, at QoS 0, 1 and 2", async () => {
    const { broker, port } = await startBroker();
    const base = ["-h", "127.0.0.1", "-p", String(port), "-V", version];
    const sub = mosquittoSub(broker, [...base, "-t", "interop/#", "-q", "2", "-v"], 3);
    await sub.ready;
    for (const qos of [0, 1, 2])
      await run("mosquitto_pub", [...base, "-t", `interop/q${qos}`, "-m", `hello ${qos}`, "-q", String(qos)]);
    expect(await sub.lines).toEqual(["interop/q0 hello 0", "interop/q1 hello 1", "interop/q2 hello 2"]);
  });

  it("mosquitto_sub receives a retained message that mosquitto_pub stored", async () => {
    const { broker, port } = await startBroker();
    const base = ["-h", "127.0.0.1", "-p", String(port), "-V", version];
    await run("mosquitto_pub", [...base, "-t", "kept/x", "-m", "retained!", "-r", "-q", "1"]);
    const sub = mosquittoSub(broker, [...base, "-t", "kept/#", "-v"], 1);
    expect(await sub.lines).toEqual(["kept/x retained!"]);
  });
});

describe("listeners", () => {
  it("serves MQTT over TLS (mqtts) to mosquitto_sub with a custom CA", async () => {
    const { broker } = await startBroker({
      listeners: {
        default: { type: "tcp", bind: "127.0.0.1:0" },
        secure: tlsListener(),
      },
    });
    const tlsPort = broker.addresses().find((a) => a.name === "secure")!.port;
    const sub = mosquittoSub(
      broker,
      ["-h", "127.0.0.1", "-p", String(tlsPort), "--cafile", certPath("ca.crt"), "-t", "tls/t", "--insecure"],
      1,
    );
    await sub.ready;
    const plainPort = broker.addresses().find((a) => a.name === "default")!.port;
    await run("mosquitto_pub", [
      "-h",
      "127.0.0.1",
      "-p",
      String(plainPort),
      "-t",
      "tls/t",
      "-m",
      "over tls",
      "-q",
      "1",
    ]);
    expect(await sub.lines).toEqual(["over tls"]);
  });

  it("serves MQTT over WebSocket to MQTT.js, next to TCP", async () => {
    const { broker } = await startBroker({
      listeners: { default: { type: "tcp", bind: "127.0.0.1:0" }, web: { type: "ws", bind: "127.0.0.1:0" } },
    });
    const addresses = broker.addresses();
    const ws = await mqttClient(`ws://127.0.0.1:${addresses.find((a) => a.name === "web")!.port}/mqtt`);
    const tcp = await mqttClient(`mqtt://127.0.0.1:${addresses.find((a) => a.name === "default")!.port}`);
    await ws.subscribeAsync("web/#", { qos: 1 });
    const got = nextMessages(ws, 1);
    await tcp.publishAsync("web/x", "from tcp", { qos: 1 });
    expect((await got)[0]!.slice(0, 2)).toEqual(["web/x", "from tcp"]);
  });

  it("closes connections over a listener's max_connections before they can speak", async () => {
    const { url, port } = await startBroker({
      listeners: { default: { type: "tcp", bind: "127.0.0.1:0", max_connections: 1 } },
    });
    const first = await mqttClient(url);
    const socket = netConnect(port, "127.0.0.1");
    let received = 0;
    socket.on("data", (d) => (received += d.length));
    socket.on("error", () => {});
    await new Promise<void>((r) => socket.once("close", () => r()));
    expect(received).toBe(0);
    expect(first.connected).toBe(true);
  });
});
