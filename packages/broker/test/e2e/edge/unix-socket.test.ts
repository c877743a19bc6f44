import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@amqtt/test-utils";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, resolveBrokerConfig } from "../../../src/index.js";
import { startBroker } from "../tcp.js";

const dir = makeTempDir("amqtt-broker-unix-");
afterAll(() => dir.remove());

/** Run a Debian mosquitto client; resolves with its exit code and output (killed by PID after 10 s). */
function run(bin: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("unix domain socket listeners (bind: unix:/path)", () => {
  it("carry pub/sub between mosquitto_sub --unix and mosquitto_pub --unix, with the configured file mode", async () => {
    const path = join(dir.path, "broker.sock");
    // As root the file goes to nobody's group (65534); otherwise to our own (the only change allowed).
    const group = process.getuid?.() === 0 ? 65534 : process.getgid!();
    const { broker } = await startBroker({
      listeners: {
        default: { type: "tcp", bind: "127.0.0.1:0" },
        local: { type: "tcp", bind: `unix:${path}`, mode: "0660", group },
      },
    });
    expect(statSync(path).isSocket()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o660);
    expect(statSync(path).gid).toBe(group);
    expect(broker.addresses().find((a) => a.name === "local")?.host).toBe(`unix:${path}`);
    const subscribed = new Promise<void>((resolve) => {
      const off = broker.on("clientSubscribed", () => {
        off();
        resolve();
      });
    });
    const sub = run("mosquitto_sub", ["--unix", path, "-t", "unix/t", "-C", "1", "-V", "mqttv5"]);
    await subscribed;
    const pub = await run("mosquitto_pub", [
      "--unix",
      path,
      "-t",
      "unix/t",
      "-m",
      "over a unix socket",
      "-q",
      "1",
    ]);
    expect(pub.code, pub.stderr).toBe(0);
    const got = await sub;
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout.trim()).toBe("over a unix socket");
    await broker.stop();
    expect(existsSync(path)).toBe(false);
  });

  it("refuse edge keys where they do not apply, naming the key", () => {
    const issues = (listener: Record<string, unknown>) => {
      try {
        resolveBrokerConfig({ listeners: { l: listener } });
        return [];
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.issues.map((i) => i.path);
      }
    };
    expect(issues({ bind: "127.0.0.1:0", mode: "0660" })).toEqual(["listeners.l.mode"]);
    expect(issues({ bind: "unix:relative.sock" })).toEqual(["listeners.l.bind"]);
    expect(issues({ bind: "127.0.0.1:0", proxy_protocol: true })).toEqual(["listeners.l.proxy_trusted"]);
    expect(issues({ bind: "127.0.0.1:0", proxy_protocol: true, proxy_trusted: ["10.0.0.0/33"] })).toEqual([
      "listeners.l.proxy_trusted",
    ]);
    expect(issues({ type: "ws", bind: "127.0.0.1:0", proxy_protocol: true, proxy_trusted: ["::1"] })).toEqual(
      ["listeners.l.proxy_protocol"],
    );
    expect(issues({ bind: "127.0.0.1:0", trusted_proxies: ["::1"] })).toEqual([
      "listeners.l.trusted_proxies",
    ]);
    expect(
      issues({ bind: "unix:/tmp/x.sock", mode: "0660", proxy_protocol: true, proxy_trusted: ["::1"] }),
    ).toEqual([]);
  });
});
