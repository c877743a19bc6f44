// The child's side of the crash test (see crash.ts): no build tools here, the
// bundled writer imports nothing beyond the store under test.

import { seededRandom } from "./prng.js";

/** The client whose queue the crash writer fills. */
export const CRASH_CLIENT = "crash-client";

/** A queued message of the crash writer: its number as 4 payload bytes. */
export interface CrashMessage {
  topic: string;
  payload: Uint8Array;
  qos: 1;
  retain: false;
  enqueuedAt: number;
}

/** The session the crash writer saves after each batch (the last number in `sessionExpiryInterval`). */
export interface CrashSession {
  version: 1;
  clientId: string;
  protocolVersion: 4;
  sessionExpiryInterval: number;
  subscriptions: never[];
  outgoing: never;
  incoming: never;
}

/** The part of a `BrokerStore` the crash test uses (structural: no store dependency here). */
export interface CrashStore {
  enqueue(clientId: string, message: CrashMessage): Promise<{ accepted: boolean }>;
  saveSession(record: CrashSession): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
  peekQueue(clientId: string, max: number): Promise<{ payload: Uint8Array; seq: number }[]>;
  loadSession(clientId: string): Promise<{ sessionExpiryInterval: number } | undefined>;
}

/** Queued message number `n` of the crash writer. */
export const crashMessage = (n: number): CrashMessage => {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setUint32(0, n);
  return { topic: "crash/t", payload, qos: 1, retain: false, enqueuedAt: n };
};

/**
 * The child's side (the store is open): each turn enqueues 1..16 messages and
 * saves a session whose `sessionExpiryInterval` is the last number enqueued, then
 * awaits `flush()` and prints the batch's numbers, one a line; `done` at the end.
 */
export async function writeUntilKilled(store: CrashStore, messages: number, seed: number): Promise<void> {
  const random = seededRandom(seed);
  process.stdout.write("ready\n");
  let next = 0;
  while (next < messages) {
    const batch: number[] = [];
    const size = 1 + Math.floor(random() * 16);
    for (let i = 0; i < size && next < messages; i++, next++) {
      void store.enqueue(CRASH_CLIENT, crashMessage(next));
      batch.push(next);
    }
    void store.saveSession({
      version: 1,
      clientId: CRASH_CLIENT,
      protocolVersion: 4,
      sessionExpiryInterval: next - 1,
      subscriptions: [],
      outgoing: { version: 1, kind: "qos-sender" } as never,
      incoming: { version: 1, kind: "qos-receiver" } as never,
    });
    await store.flush();
    // stdout to a pipe is synchronous on Linux: once written, a SIGKILL cannot lose it.
    process.stdout.write(`${batch.join("\n")}\n`);
  }
  await store.close();
  process.stdout.write("done\n");
}
