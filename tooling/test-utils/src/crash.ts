import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { build } from "esbuild";
import { CRASH_CLIENT, type CrashStore, crashMessage } from "./crash-writer.js";

export { CRASH_CLIENT, type CrashStore, writeUntilKilled } from "./crash-writer.js";

// The crash test every persistent store runs: a child process writes batches and
// prints what flush() confirmed, is SIGKILLed at a seeded random point, and a new
// store instance must hold every confirmed message, as an ordered prefix.

/**
 * Bundle a TypeScript fixture with the TypeScript sources of its @amqtt imports
 * (so a child runs the code under test, not a stale dist/); other packages stay
 * imports, resolved from the fixture's package.
 */
export async function bundleFixture(entry: string, outfile: string): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["@amqtt/source"],
    plugins: [
      {
        name: "external-non-amqtt",
        setup(esbuild) {
          esbuild.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith("@amqtt/") ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
    logLevel: "silent",
  });
}

const children = new Set<ChildProcess>();

/** SIGKILL every writer still running (call it after each test). */
export function killWriters(): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children.clear();
}

/**
 * Run `node script ...args` and SIGKILL it once it has printed `killAfter`
 * flushed numbers; resolves with the numbers it printed. Rejects when it fails
 * on its own (any exit but a clean one or our SIGKILL).
 */
export function runUntilKilled(script: string, args: string[], killAfter: number): Promise<number[]> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const flushed: number[] = [];
  let pending = "";
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdout.on("data", (chunk) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) if (/^\d+$/.test(line)) flushed.push(Number(line));
    if (flushed.length >= killAfter && child.exitCode === null) child.kill("SIGKILL");
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      children.delete(child);
      if (code !== 0 && signal !== "SIGKILL") reject(new Error(`writer exited with ${code}: ${stderr}`));
      else resolve(flushed);
    });
  });
}

/**
 * Check a store reopened after the crash: its queue is 0, 1, ..., n-1 with
 * growing seq (a prefix of the writes in call order), it holds every number
 * printed as flushed, its session never names a lost message, and it writes on
 * with a seq never used before.
 */
export async function checkCrashSurvivors(
  store: CrashStore,
  flushed: number[],
  messages: number,
): Promise<void> {
  const entries = await store.peekQueue(CRASH_CLIENT, messages);
  const numbers = entries.map((e) => new DataView(e.payload.buffer, e.payload.byteOffset).getUint32(0));
  deepStrictEqual(
    numbers,
    Array.from({ length: numbers.length }, (_, i) => i),
  );
  for (let i = 1; i < entries.length; i++) ok(entries[i]!.seq > entries[i - 1]!.seq, "seq grows");
  ok(
    numbers.length >= (flushed.length === 0 ? 0 : Math.max(...flushed) + 1),
    "every flushed message is there",
  );
  const session = await store.loadSession(CRASH_CLIENT);
  if (session !== undefined)
    ok(session.sessionExpiryInterval < numbers.length, "the session names no lost message");
  else strictEqual(numbers.length, 0);
  ok((await store.enqueue(CRASH_CLIENT, crashMessage(messages))).accepted);
  const last = (await store.peekQueue(CRASH_CLIENT, messages + 1)).at(-1);
  ok((last?.seq ?? 0) > (entries.at(-1)?.seq ?? 0), "a new seq after the crash");
}
