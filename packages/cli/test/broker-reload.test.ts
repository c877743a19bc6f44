// The `amqtt` process on SIGHUP (re-reads its configuration file and reloads), and its log flags.
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hashPassword } from "@amqtt/broker";
import { certPath, certs, makeTempDir, mosquittoPub, type TempDir } from "@amqtt/test-utils";
import { connectAsync } from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AMQTT_BIN, runUntilLogged, startAmqtt } from "./helpers/amqtt-process.js";

let temp: TempDir;
beforeEach(() => {
  temp = makeTempDir("amqtt-cli-reload-");
});
afterEach(() => temp.remove());

/** Resolves once `text` appears in the process's stderr after `from` characters (bounded: a hung process fails the test). */
async function waitForLog(stderr: () => string, text: string, from: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!stderr().slice(from).includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in the log: ${stderr().slice(from)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function configWith(passwordFile: string, extra = ""): string {
  return [
    "listeners:",
    "  default:",
    "    type: tcp",
    "    bind: 127.0.0.1:0",
    "plugins:",
    "  amqtt.plugins.authentication.FileAuthPlugin:",
    `    password_file: ${passwordFile}`,
    extra,
  ].join("\n");
}

describe("amqtt and SIGHUP", () => {
  it("re-reads the password file: a user added after start can log in with mosquitto_pub once the process got SIGHUP", async () => {
    const passwd = join(temp.path, "passwd");
    writeFileSync(passwd, `first:${await hashPassword("first-pw")}\n`);
    const config = join(temp.path, "amqtt.yaml");
    writeFileSync(config, configWith(passwd));
    const broker = await startAmqtt(["-c", config, "--memory"], temp.path);

    expect((await mosquittoPub(broker.port, { user: "first", password: "first-pw" })).code).toBe(0);
    expect((await mosquittoPub(broker.port, { user: "second", password: "second-pw" })).code).not.toBe(0);

    writeFileSync(
      passwd,
      `first:${await hashPassword("first-pw")}\nsecond:${await hashPassword("second-pw")}\n`,
    );
    const mark = broker.stderr().length;
    broker.child.kill("SIGHUP");
    await waitForLog(broker.stderr, "SIGHUP: reload done", mark);

    expect((await mosquittoPub(broker.port, { user: "second", password: "second-pw" })).code).toBe(0);
    expect((await mosquittoPub(broker.port, { user: "first", password: "first-pw" })).code).toBe(0);
    // Still the same process, and the passwords never reached its log.
    expect(broker.child.exitCode).toBeNull();
    expect(broker.stderr()).not.toMatch(/first-pw|second-pw/);
    broker.child.kill("SIGTERM");
    expect(await broker.exit).toBe(0);
  });

  it("applies what can change from the edited file and logs each refused key; an invalid file changes nothing", async () => {
    const passwd = join(temp.path, "passwd");
    writeFileSync(passwd, `first:${await hashPassword("first-pw")}\n`);
    const config = join(temp.path, "amqtt.yaml");
    writeFileSync(config, configWith(passwd));
    const broker = await startAmqtt(["-c", config, "--memory"], temp.path);

    writeFileSync(config, configWith(passwd, "max_keepalive: 30\nmax_queued_messages: 5\n"));
    let mark = broker.stderr().length;
    broker.child.kill("SIGHUP");
    await waitForLog(broker.stderr, "SIGHUP: reload done", mark);
    const log = broker.stderr().slice(mark);
    expect(log).toContain("not reloaded: max_queued_messages: read at start");
    expect(log).toMatch(/configuration reloaded .*"max_keepalive"/);

    writeFileSync(config, "max_keepalive: -1\n");
    mark = broker.stderr().length;
    broker.child.kill("SIGHUP");
    await waitForLog(broker.stderr, "SIGHUP: reload failed, nothing changed", mark);
    expect((await mosquittoPub(broker.port, { user: "first", password: "first-pw" })).code).toBe(0);
    broker.child.kill("SIGTERM");
    expect(await broker.exit).toBe(0);
  });
});

describe("amqtt and SIGHUP with TLS", () => {
  it("swaps the certificate of a TLS listener: a client connected before stays connected and served, a new handshake sees the new certificate", async () => {
    const certfile = join(temp.path, "server.crt");
    const keyfile = join(temp.path, "server.key");
    copyFileSync(certPath("server.crt"), certfile);
    copyFileSync(certPath("server.key"), keyfile);
    const config = join(temp.path, "amqtt.yaml");
    writeFileSync(
      config,
      [
        "listeners:",
        "  default:",
        "    type: tcp",
        "    bind: 127.0.0.1:0",
        "    ssl: true",
        `    certfile: ${certfile}`,
        `    keyfile: ${keyfile}`,
        "plugins:",
        "  anonymous-auth: {}",
      ].join("\n"),
    );
    const broker = await startAmqtt(["-c", config, "--memory"], temp.path);
    const url = `mqtts://127.0.0.1:${broker.port}`;
    const before = await connectAsync(url, { rejectUnauthorized: false, reconnectPeriod: 0 });
    try {
      let closed = false;
      before.on("close", () => {
        closed = true;
      });
      copyFileSync(certPath("stranger.crt"), certfile);
      copyFileSync(certPath("stranger.key"), keyfile);
      const mark = broker.stderr().length;
      broker.child.kill("SIGHUP");
      await waitForLog(broker.stderr, "SIGHUP: reload done", mark);
      expect(broker.stderr().slice(mark)).toContain("TLS certificate reloaded");

      const after = await connectAsync(url, { rejectUnauthorized: false, reconnectPeriod: 0 });
      const printOf = (c: typeof after) =>
        (c.stream as unknown as { getPeerCertificate(): { fingerprint256: string } }).getPeerCertificate()
          .fingerprint256;
      expect(printOf(after)).toBe(new X509Certificate(certs.stranger.cert).fingerprint256);
      expect(printOf(before)).toBe(new X509Certificate(certs.server.cert).fingerprint256);
      // The client from before the swap still gets what the new one publishes.
      await before.subscribeAsync("swap/t", { qos: 1 });
      const got = new Promise<string>((r) => before.once("message", (_t, p) => r(p.toString())));
      await after.publishAsync("swap/t", "across the swap", { qos: 1 });
      expect(await got).toBe("across the swap");
      expect(closed).toBe(false);
      await after.endAsync();
    } finally {
      await before.endAsync(true);
    }
    broker.child.kill("SIGTERM");
    expect(await broker.exit).toBe(0);
  });
});

/**
 * `amqtt --port 0 --no-ws --memory --log-format json` with `args`, stopped by SIGINT once it
 * logged `listening`: every stderr line parsed as JSON (a line that is not fails the test).
 */
async function jsonLogUntilListening(args: string[]): Promise<Record<string, unknown>[]> {
  const err = await runUntilLogged(
    ["--port", "0", "--no-ws", "--memory", "--log-format", "json", ...args],
    '"msg":"listening"',
    temp.path,
  );
  return err
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("amqtt --log-format json", () => {
  it("writes only JSON lines, each with time, level, component and msg", async () => {
    const records = await jsonLogUntilListening(["--log-level", "debug"]);
    expect(records.length).toBeGreaterThan(2);
    for (const r of records)
      expect(Object.keys(r)).toEqual(expect.arrayContaining(["time", "level", "component", "msg"]));
    expect(records.find((r) => r.msg === "listening")?.component).toBe("listeners");
    expect(records.some((r) => r.level === "debug")).toBe(true);
  });

  it("--log-levels sets levels per component over --log-level", async () => {
    const records = await jsonLogUntilListening(["--log-level", "error", "--log-levels", "listeners=info"]);
    // Only the listeners' info lines pass; the command's own info lines ("state in memory") do not.
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.component === "listeners" || r.level === "error")).toBe(true);
  });

  it("refuses an unknown --log-level", async () => {
    const child = spawn(process.execPath, [AMQTT_BIN, "--log-level", "loud"], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: temp.path,
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(code).not.toBe(0);
    expect(err).toContain("expected one of debug, info, warn, error");
  });
});
