import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { afterAll, afterEach, describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "..", "dist", "bin.js");
const dir = mkdtempSync(join(tmpdir(), "amqtt-cli-"));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A new empty working folder for one broker run (the default data directory lands in it). */
function freshDir(): string {
  return mkdtempSync(join(dir, "cwd-"));
}

interface Started {
  child: ChildProcess;
  ports: Record<string, number>;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Start the built `amqtt` binary; resolves once it logged `count` listeners. */
function startAmqtt(args: string[], count: number, cwd = freshDir()): Promise<Started> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd });
  children.push(child);
  let err = "";
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    const ports: Record<string, number> = {};
    child.stderr!.on("data", (d) => {
      err += d;
      for (const m of err.matchAll(/listening (\{.*\})/g)) {
        const info = JSON.parse(m[1]!) as { listener: string; port: number };
        ports[info.listener] = info.port;
      }
      if (Object.keys(ports).length === count) resolve({ child, ports, stderr: () => err, exit });
    });
    exit.then((code) => reject(new Error(`amqtt exited with ${code}: ${err}`)));
  });
}

/** Run the binary to completion; resolves with its exit code and output. */
function runAmqtt(
  args: string[],
  cwd = freshDir(),
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((r) => child.once("exit", (code) => r({ code, stdout, stderr })));
}

describe("amqtt (the broker command)", () => {
  it("starts with the embedded defaults (TCP and WebSocket on 127.0.0.1), serves clients, and stops cleanly on SIGINT", async () => {
    const { child, ports, exit } = await startAmqtt(["--port", "0", "--ws-port", "0"], 2);
    const tcp = await connectAsync(`mqtt://127.0.0.1:${ports.default}`, { reconnectPeriod: 0 });
    const ws = await connectAsync(`ws://127.0.0.1:${ports.ws}/mqtt`, {
      reconnectPeriod: 0,
      protocolVersion: 5,
    });
    await ws.subscribeAsync("cli/t", { qos: 1 });
    const got = new Promise<string>((r) => ws.once("message", (_t, p) => r(p.toString())));
    await tcp.publishAsync("cli/t", "through the binary", { qos: 1 });
    expect(await got).toBe("through the binary");
    await Promise.all([tcp.endAsync(), ws.endAsync()]);
    child.kill("SIGINT");
    expect(await exit).toBe(0);
  });

  it("runs an aMQTT configuration file unchanged", async () => {
    const file = join(dir, "amqtt.yaml");
    writeFileSync(
      file,
      `---
listeners:
  default:
    type: tcp
    bind: 127.0.0.1:0
timeout_disconnect_delay: 0
plugins:
  amqtt.plugins.logging_amqtt.EventLoggerPlugin:
  amqtt.plugins.logging_amqtt.PacketLoggerPlugin:
  amqtt.plugins.authentication.AnonymousAuthPlugin:
    allow_anonymous: true
  amqtt.plugins.sys.broker.BrokerSysPlugin:
    sys_interval: 20
`,
    );
    const { child, ports, exit } = await startAmqtt(["-c", file], 1);
    const client = await connectAsync(`mqtt://127.0.0.1:${ports.default}`, { reconnectPeriod: 0 });
    // The retained message may arrive in the same read as the SUBACK: listen first.
    const message = new Promise<string>((r) => client.once("message", (_t, p) => r(p.toString())));
    await client.subscribeAsync("$SYS/broker/version");
    const version = await message;
    expect(version).toMatch(/^amqtt version /);
    await client.endAsync();
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });

  it("refuses a configuration it does not understand, naming the key, with exit code 1", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "listeners:\n  default:\n    type: tcp\n    max-connections: 10\n");
    const { code, stderr } = await runAmqtt(["-c", file]);
    expect(code).toBe(1);
    expect(stderr).toContain('listeners.default: unknown key "max-connections"');
  });

  it("refuses an unknown flag with exit code 2 and the usage", async () => {
    const { code, stderr } = await runAmqtt(["--frobnicate"]);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--frobnicate'");
    expect(stderr).toContain("Usage: amqtt");
  });

  it("prints its version and help", async () => {
    expect((await runAmqtt(["--version"])).stdout.trim()).toMatch(/^amqtt \d+\.\d+\.\d+$/);
    const help = await runAmqtt(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("-c, --config <file>");
  });

  it("fails to start, with exit code 1, when its port is taken", async () => {
    const first = await startAmqtt(["--port", "0", "--no-ws"], 1);
    const { code, stderr } = await runAmqtt(["--port", String(first.ports.default), "--no-ws"]);
    expect(code).toBe(1);
    expect(stderr).toContain("Broker failed to start");
  });
});
