import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { amqttDocsDefaultConfig } from "@amqtt/test-utils";
import { connectAsync } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { runAmqtt, startAmqtt } from "./helpers/amqtt-process.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A new empty working folder for one broker run (the default data directory lands in it). */
function freshDir(): string {
  return mkdtempSync(join(dir, "cwd-"));
}

/** Start the binary in a fresh working folder; resolves once `count` listeners listen. */
const start = (args: string[], count: number) => startAmqtt(args, freshDir(), count);
/** Run the binary to completion in a fresh working folder. */
const run = (args: string[]) => runAmqtt(args, freshDir());

describe("amqtt (the broker command)", () => {
  it("starts with the embedded defaults (TCP and WebSocket on 127.0.0.1), serves clients, and stops cleanly on SIGINT", async () => {
    const { child, ports, exit } = await start(["--port", "0", "--ws-port", "0"], 2);
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
    writeFileSync(file, amqttDocsDefaultConfig("127.0.0.1:0"));
    const { child, ports, exit } = await start(["-c", file], 1);
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
    const { code, stderr } = await run(["-c", file]);
    expect(code).toBe(1);
    expect(stderr).toContain('listeners.default: unknown key "max-connections"');
  });

  it("refuses an unknown flag with exit code 2 and the usage", async () => {
    const { code, stderr } = await run(["--frobnicate"]);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--frobnicate'");
    expect(stderr).toContain("Usage: amqtt");
  });

  it("prints its version and help", async () => {
    expect((await run(["--version"])).stdout.trim()).toMatch(/^amqtt \d+\.\d+\.\d+$/);
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("-c, --config <file>");
  });

  it("fails to start, with exit code 1, when its port is taken", async () => {
    const first = await start(["--port", "0", "--no-ws"], 1);
    const { code, stderr } = await run(["--port", String(first.ports.default), "--no-ws"]);
    expect(code).toBe(1);
    expect(stderr).toContain("Broker failed to start");
  });
});
