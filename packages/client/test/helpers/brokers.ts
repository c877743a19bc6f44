import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker, silentLogger } from "@amqtt/broker";
import { afterEach } from "vitest";

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Run `fn` after the current test (in reverse order of registration). */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** A free loopback port: listen on 0, read the port, close. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Our broker on loopback (TCP, and WebSocket when asked; `config` adds broker config keys), stopped after the test. */
export async function startOurBroker(
  options: { ws?: boolean; port?: number; config?: Record<string, unknown> } = {},
): Promise<{ broker: Broker; url: string; wsUrl: string | undefined; stop(): Promise<void> }> {
  const listeners: Record<string, { type: "tcp" | "ws"; bind: string }> = {
    default: { type: "tcp", bind: `127.0.0.1:${options.port ?? 0}` },
  };
  if (options.ws) listeners.ws = { type: "ws", bind: "127.0.0.1:0" };
  const broker = new Broker(
    { ...options.config, listeners, plugins: { "anonymous-auth": {} } },
    { logger: silentLogger },
  );
  await broker.start();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await broker.stop();
  };
  onCleanup(stop);
  const addresses = broker.addresses();
  const tcp = addresses.find((a) => a.type === "tcp");
  const ws = addresses.find((a) => a.type === "ws");
  return {
    broker,
    url: `mqtt://127.0.0.1:${tcp?.port}`,
    wsUrl: ws === undefined ? undefined : `ws://127.0.0.1:${ws.port}/`,
    stop,
  };
}

/** Debian's mosquitto on a free loopback port (anonymous, no persistence), killed after the test. */
export async function startMosquitto(
  port?: number,
): Promise<{ url: string; port: number; kill(): Promise<void> }> {
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "amqtt-client-mosquitto-"));
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(conf, `listener ${chosen} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  // Debian installs it in /usr/sbin, which a non-login PATH may lack.
  const bin = existsSync("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto";
  const child: ChildProcess = spawn(bin, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  onCleanup(async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  });
  await waitForPort(chosen, () => log);
  return { url: `mqtt://127.0.0.1:${chosen}`, port: chosen, kill };
}

async function waitForPort(port: number, log: () => string): Promise<void> {
  const { connect } = await import("node:net");
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`mosquitto did not listen on ${port}: ${log()}`);
}
