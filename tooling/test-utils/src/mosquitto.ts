import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "./ports.js";

/** A running Debian `mosquitto`, started by {@link startMosquitto}. */
export interface Mosquitto {
  /** `mqtt://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Its temporary folder (config, passwords). */
  readonly dir: string;
  /** What it wrote to stderr so far. */
  log(): string;
  /** Kill it by PID (SIGKILL) and remove its folder; safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startMosquitto}. */
export interface MosquittoOptions {
  /** The port (default: a free one). */
  port?: number;
  /** Extra configuration lines after the listener (default: anonymous, no persistence). */
  config?: string[];
}

/** The path of a Debian-installed binary (`/usr/sbin` or `/usr/bin`, which a non-login PATH may lack), else the bare name. */
export function debianBinary(name: string): string {
  for (const dir of ["/usr/sbin", "/usr/bin"]) if (existsSync(join(dir, name))) return join(dir, name);
  return name;
}

/** Start Debian's `mosquitto` on loopback in a temp folder and wait until it listens. The caller stops it. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "amqtt-mosquitto-"));
  const conf = join(dir, "mosquitto.conf");
  const lines = options.config ?? ["allow_anonymous true", "persistence false"];
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, ...lines, ""].join("\n"));
  const child: ChildProcess = spawn(debianBinary("mosquitto"), ["-c", conf], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `mqtt://127.0.0.1:${port}`, port, dir, log: () => stderr, stop };
}
