import { spawn } from "node:child_process";

/** Options of {@link mosquittoPub}. */
export interface MosquittoPubOptions {
  /** User name (`-u`) and password (`-P`). */
  user?: string;
  password?: string;
  /** Topic (default `t`) and QoS (default 0). */
  topic?: string;
  qos?: 0 | 1 | 2;
  /** Protocol (`-V`): mosquitto_pub's default is MQTT 3.1.1. */
  protocol?: "mqttv31" | "mqttv311" | "mqttv5";
  /** Killed (SIGKILL, by its own PID) after this many ms (default 15 000): a hung CONNECT fails the call. */
  timeoutMs?: number;
}

/**
 * Publish one message `x` with Debian's `mosquitto_pub` to the broker on loopback
 * `port`; resolves with its exit code (0: connected and published) and stderr.
 */
export function mosquittoPub(
  port: number,
  options: MosquittoPubOptions = {},
): Promise<{ code: number | null; stderr: string }> {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-t", options.topic ?? "t", "-m", "x"];
  if (options.protocol !== undefined) args.push("-V", options.protocol);
  if (options.user !== undefined) args.push("-u", options.user);
  if (options.password !== undefined) args.push("-P", options.password);
  if (options.qos !== undefined) args.push("-q", String(options.qos));
  const child = spawn("mosquitto_pub", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 15_000);
  return new Promise((resolve, reject) => {
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}
