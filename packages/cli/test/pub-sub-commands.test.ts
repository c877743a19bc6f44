import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Broker, silentLogger } from "@amqtt/broker";
import { startMosquitto } from "@amqtt/test-utils";
import { afterAll, afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const dist = join(import.meta.dirname, "..", "dist");
const dir = mkdtempSync(join(tmpdir(), "amqtt-pubsub-"));
const children: ChildProcess[] = [];
const brokers: Broker[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
  await Promise.all(stops.splice(0).map((stop) => stop()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let current: Broker | undefined;

async function broker(): Promise<number> {
  const b = new Broker(
    { listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } }, plugins: { "anonymous-auth": {} } },
    { logger: silentLogger },
  );
  await b.start();
  brokers.push(b);
  current = b;
  return b.addresses()[0]!.port;
}

/** Start a subscriber command and resolve once the broker saw its subscription. */
async function subscriber(
  cmd: string,
  args: string[],
): Promise<{ output: Promise<{ code: number | null; out: string }> }> {
  const subscribed = new Promise<void>((resolve) => current!.once("clientSubscribed", () => resolve()));
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const output = new Promise<{ code: number | null; out: string }>((resolve) =>
    child.once("exit", (code) => resolve({ code, out: out + err })),
  );
  await Promise.race([
    subscribed,
    output.then((o) => Promise.reject(new Error(`subscriber exited: ${o.out}`))),
  ]);
  return { output };
}

const node = (tool: string) => [process.execPath, join(dist, `${tool}-bin.js`)] as const;

describe("amqtt_pub and amqtt_sub", () => {
  it("amqtt_sub -n 3 prints what amqtt_pub sends with -m, -f and -l, then exits 0", async () => {
    const port = await broker();
    const [exe, sub] = node("sub");
    const s = await subscriber(exe, [sub, "-p", String(port), "-t", "c/#", "-n", "4", "-q", "1"]);
    const [, pub] = node("pub");
    await run(exe, [pub, "-p", String(port), "-t", "c/m", "-m", "one", "-q", "1"]);
    const file = join(dir, "lines.txt");
    writeFileSync(file, "two\nthree\n");
    await run(exe, [pub, "-p", String(port), "-t", "c/f", "-f", file, "-q", "1"]);
    const child = spawn(exe, [pub, "--url", `mqtt://127.0.0.1:${port}`, "-t", "c/l", "-l", "-V", "5"], {
      stdio: ["pipe", "ignore", "ignore"],
    });
    child.stdin.end("four\n");
    await new Promise((r) => child.once("exit", r));
    const { code, out } = await s.output;
    expect(code).toBe(0);
    expect(out.trim().split("\n")).toEqual(["one", "two", "three", "four"]);
  });

  it("interoperates with Debian's mosquitto clients both ways (3.1.1 and 5.0)", async () => {
    const port = await broker();
    const [exe, pub] = node("pub");
    const m = await subscriber("mosquitto_sub", [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-t",
      "i/#",
      "-C",
      "2",
      "-v",
      "-V",
      "mqttv5",
    ]);
    await run(exe, [
      pub,
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-t",
      "i/a",
      "-m",
      "from amqtt_pub",
      "-V",
      "5",
      "-q",
      "2",
    ]);
    await run(exe, [pub, "-h", "127.0.0.1", "-p", String(port), "-t", "i/b", "-n", "-q", "1"]);
    // mosquitto_sub -v prints an empty payload as "(null)".
    expect((await m.output).out.trim().split("\n")).toEqual(["i/a from amqtt_pub", "i/b (null)"]);
    // aMQTT's spelling of -n.
    const n = await subscriber("mosquitto_sub", [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-t",
      "k",
      "-C",
      "1",
      "-v",
    ]);
    await run(exe, [pub, "-h", "127.0.0.1", "-p", String(port), "-t", "k", "--no-message"]);
    expect((await n.output).out.trim()).toBe("k (null)");
    const [, sub] = node("sub");
    const s = await subscriber(exe, [sub, "-p", String(port), "-t", "j/#", "-C", "1", "-v"]);
    await run("mosquitto_pub", [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-t",
      "j/x",
      "-m",
      "from mosquitto_pub",
      "-q",
      "1",
    ]);
    expect((await s.output).out.trim()).toBe("j/x from mosquitto_pub");
  });

  it("sends credentials from -u/-P, and reports a refused connection with exit code 1", async () => {
    const b = new Broker(
      { listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } }, plugins: {} },
      {
        logger: silentLogger,
        plugins: [
          {
            name: "only-bob",
            authenticate: (c) => c.username === "bob" && new TextDecoder().decode(c.password) === "pw",
          },
        ],
      },
    );
    await b.start();
    brokers.push(b);
    const port = b.addresses()[0]!.port;
    const [exe, pub] = node("pub");
    await expect(
      run(exe, [pub, "-p", String(port), "-u", "bob", "-P", "pw", "-t", "t", "-m", "ok"]),
    ).resolves.toBeDefined();
    const refused = await run(exe, [
      pub,
      "-p",
      String(port),
      "-u",
      "eve",
      "-P",
      "pw",
      "-t",
      "t",
      "-m",
      "no",
    ]).catch((e) => e);
    expect(refused.code).toBe(1);
    expect(String(refused.stderr)).toContain("amqtt_pub:");
  });

  it("amqtt_pub -c with aMQTT's client plugins key and -d logs each packet on stderr, without the password or the payload", async () => {
    const port = await broker();
    const config = join(dir, "client-plugins.yaml");
    writeFileSync(
      config,
      `keep_alive: 10
plugins:
  amqtt.plugins.logging_amqtt.PacketLoggerPlugin:
`,
    );
    const [exe, pub] = node("pub");
    const { stderr } = await run(exe, [
      pub,
      "-c",
      config,
      "-d",
      "-p",
      String(port),
      "-u",
      "carol",
      "-P",
      "s3cret-pw",
      "-t",
      "d/1",
      "-m",
      "body-text",
      "-q",
      "1",
    ]);
    const packets = String(stderr)
      .split("\n")
      .filter((l) => l.includes("-out->") || l.includes("<-in--"))
      .map((l) => /(-out->|<-in--) (\w+)/.exec(l)?.slice(1).join(" "));
    expect(packets).toEqual([
      "-out-> CONNECT",
      "<-in-- CONNACK",
      "-out-> PUBLISH",
      "<-in-- PUBACK",
      "-out-> DISCONNECT",
    ]);
    expect(String(stderr)).toContain('"password":"<redacted>"');
    expect(String(stderr)).not.toContain("s3cret-pw");
    expect(String(stderr)).not.toContain("body-text");
  });

  it("gives usage errors exit code 2: no message source, two sources, --url with -h, a bad QoS", async () => {
    const [exe, pub] = node("pub");
    const codes: number[] = [];
    for (const args of [
      ["-t", "t"],
      ["-t", "t", "-m", "a", "-n"],
      ["-t", "t", "-l", "--no-message"],
      ["-t", "t", "-m", "a", "--url", "mqtt://127.0.0.1:1", "-h", "x"],
      ["-t", "t", "-m", "a", "-q", "3"],
    ]) {
      codes.push(
        await run(exe, [pub, ...args]).then(
          () => 0,
          (e: { code: number }) => e.code,
        ),
      );
    }
    expect(codes).toEqual([2, 2, 2, 2, 2]);
    const help = await run(exe, [pub, "--help"]);
    expect(help.stdout).toContain("-t, --topic <topic>");
  });

  it("amqtt_sub stops cleanly on SIGINT", async () => {
    const port = await broker();
    const [exe, sub] = node("sub");
    const subscribed = new Promise<void>((resolve) => current!.once("clientSubscribed", () => resolve()));
    const child = spawn(exe, [sub, "-p", String(port), "-t", "z/#"], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    await subscribed;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });
});

describe("amqtt_pub and amqtt_sub against Debian's mosquitto broker", () => {
  it("publish and subscribe through mosquitto, 3.1.1 and 5.0", async () => {
    const broker = await startMosquitto();
    stops.push(broker.stop);
    const port = broker.port;
    const [exe, sub] = node("sub");
    const [, pub] = node("pub");
    for (const version of ["311", "5"]) {
      const child = spawn(exe, [sub, "-p", String(port), "-t", "m/#", "-C", "1", "-V", version, "-q", "1"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(child);
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      // Publish retained, so the subscriber gets it whenever its SUBSCRIBE lands.
      await run(exe, [
        pub,
        "-p",
        String(port),
        "-t",
        `m/${version}`,
        "-m",
        `via mosquitto ${version}`,
        "-r",
        "-q",
        "1",
        "-V",
        version,
      ]);
      expect(await exited).toBe(0);
      expect(out.trim()).toBe(`via mosquitto ${version}`);
      await run(exe, [pub, "-p", String(port), "-t", `m/${version}`, "-n", "-r"]);
    }
  });
});

describe("--extra-headers", () => {
  it("sends the headers with the WebSocket handshake, and refuses what is not a JSON object of strings", async () => {
    const { createServer } = await import("node:http");
    const { listenWs } = await import("@amqtt/transport-ws/server");
    const headers: Record<string, string | string[] | undefined>[] = [];
    const server = createServer();
    server.on("upgrade", (request) => headers.push(request.headers));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const b = new Broker(
      { listeners: { default: { type: "external" } }, plugins: { "anonymous-auth": {} } },
      { logger: silentLogger },
    );
    await b.start();
    brokers.push(b);
    const listener = await listenWs({ server, path: "/mqtt" });
    listener.onConnection((c) => void b.handle(c));
    try {
      const port = (server.address() as { port: number }).port;
      const [exe, pub] = node("pub");
      await run(exe, [
        pub,
        "--url",
        `ws://127.0.0.1:${port}/mqtt`,
        "-t",
        "h",
        "-m",
        "x",
        "--extra-headers",
        '{"x-api-key":"k1"}',
      ]);
      expect(headers[0]?.["x-api-key"]).toBe("k1");
      const bad = await run(exe, [
        pub,
        "--url",
        `ws://127.0.0.1:${port}/mqtt`,
        "-t",
        "h",
        "-m",
        "x",
        "--extra-headers",
        "[1]",
      ]).catch((e) => e);
      expect(bad.code).toBe(2);
    } finally {
      await listener.close();
      await new Promise((r) => server.close(r));
    }
  });
});
