import { type ChildProcess, spawn } from "node:child_process";
import { afterEach } from "vitest";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

/** A running Debian `mosquitto_sub` (MQTT 3.1.1) and what it printed; killed (by its PID) after the test. */
export interface MosquittoSub {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

/** Start `mosquitto_sub -i clientId -t topic` against loopback `port`, printing `topic payload` lines. */
export function mosquittoSub(
  port: number,
  clientId: string,
  topic: string,
  extra: string[] = [],
): MosquittoSub {
  const child = spawn(
    "mosquitto_sub",
    ["-h", "127.0.0.1", "-p", String(port), "-i", clientId, "-t", topic, "-v", "-V", "mqttv311", ...extra],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  const lines: string[] = [];
  let buffer = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffer += d.toString("utf8");
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, lines, exited };
}

/** Wait until `predicate` holds (polling every 20 ms), failing after `ms`. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  ms = 5000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
