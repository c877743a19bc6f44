import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { seededRandom } from "@amqtt/test-utils/prng";
import { build } from "esbuild";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStoreAt, tempDir } from "./helpers.js";

// The fixture is bundled from the TypeScript sources of this package and its
// @amqtt dependencies (tree-shaken: the broker's store helpers only), so the
// child runs the code under test, not a stale dist/, and starts fast. Other
// packages (better-sqlite3) stay imports, resolved from this package.
const packageDir = join(import.meta.dirname, "..");
const bundleDir = join(packageDir, "node_modules", ".cache", "store-sqlite-tests");
const writer = join(bundleDir, "crash-writer.mjs");
const MESSAGES = 400;
// Relaxed durability (synchronous=NORMAL) still survives a crash of the process.
const RUNS: [seed: number, durability: "full" | "relaxed"][] = [
  [1, "full"],
  [2, "full"],
  [3, "full"],
  [4, "full"],
  [5, "relaxed"],
  [6, "relaxed"],
];

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

beforeAll(async () => {
  mkdirSync(bundleDir, { recursive: true });
  await build({
    entryPoints: [join(packageDir, "test", "fixtures", "crash-writer.ts")],
    outfile: writer,
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
});

interface Run {
  /** Message numbers the child printed as flushed. */
  flushed: number[];
  signal: NodeJS.Signals | null;
}

/** Run the writer and SIGKILL it once it has printed `killAfter` flushed numbers. */
function runUntilKilled(path: string, seed: number, durability: string, killAfter: number): Promise<Run> {
  const child = spawn(process.execPath, [writer, path, String(MESSAGES), String(seed), durability], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
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
      if (code !== 0 && signal !== "SIGKILL") reject(new Error(`writer exited with ${code}: ${stderr}`));
      else resolve({ flushed, signal });
    });
  });
}

describe("crash safety of the store alone (SIGKILL at a seeded random point)", () => {
  for (const [seed, durability] of RUNS) {
    it(`keeps every flushed message, as a prefix in order, with a session no newer than the queue (seed ${seed}, ${durability})`, async () => {
      const path = join(tempDir(), "crash.db");
      const killAfter = Math.floor(seededRandom(seed * 7919)() * MESSAGES);
      const { flushed } = await runUntilKilled(path, seed, durability, killAfter);

      const store = await openStoreAt(path, { limits: { maxQueuedMessages: MESSAGES } });
      const entries = await store.peekQueue("crash-client", MESSAGES);
      const numbers = entries.map((e) => new DataView(e.payload.buffer, e.payload.byteOffset).getUint32(0));
      // A prefix of the writes in call order: 0, 1, ..., n-1, with growing seq.
      expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i));
      for (let i = 1; i < entries.length; i++) expect(entries[i]!.seq).toBeGreaterThan(entries[i - 1]!.seq);
      // Every number printed after a flush is there.
      expect(numbers.length).toBeGreaterThanOrEqual(flushed.length === 0 ? 0 : Math.max(...flushed) + 1);
      // The session was saved after its batch's enqueues: it never names a lost message.
      const session = await store.loadSession("crash-client");
      if (session !== undefined) expect(session.sessionExpiryInterval).toBeLessThan(numbers.length);
      else expect(numbers.length).toBe(0);
      // The reopened store writes on after the crash, with a seq never used before.
      expect((await store.enqueue("crash-client", entryFor(MESSAGES))).accepted).toBe(true);
      const last = (await store.peekQueue("crash-client", MESSAGES + 1)).at(-1);
      expect(last?.seq).toBeGreaterThan(entries.at(-1)?.seq ?? 0);
    });
  }
});

function entryFor(n: number) {
  return {
    topic: "crash/t",
    payload: new Uint8Array([n & 0xff]),
    qos: 1 as const,
    retain: false,
    enqueuedAt: n,
  };
}
