import type { Connection } from "../connection.js";
import { waitForDrain } from "../drain.js";

/** Deterministic bytes that differ at every offset modulo 251, so a shifted or dropped chunk shows. */
export function pattern(length: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i + seed) % 251;
  return bytes;
}

/** Index of the first byte where `a` and `b` differ (a length difference counts), or -1 when equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}

/** Let queued I/O and timers run once. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Join chunks into one array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Pulls bytes from a connection on demand, keeping any excess for the next read. */
export class Reader {
  readonly #iterator: AsyncIterator<Uint8Array>;
  #rest: Uint8Array = new Uint8Array(0);

  constructor(connection: Connection) {
    this.#iterator = connection[Symbol.asyncIterator]();
  }

  /** Exactly `length` bytes; rejects if the input ends first. */
  async read(length: number): Promise<Uint8Array> {
    const chunks = [this.#rest];
    let have = this.#rest.length;
    while (have < length) {
      const next = await this.#iterator.next();
      if (next.done) throw new Error(`input ended after ${have} of ${length} bytes`);
      chunks.push(next.value);
      have += next.value.length;
    }
    const all = concat(chunks);
    this.#rest = all.subarray(length);
    return all.subarray(0, length);
  }

  /** Everything until the input ends. */
  async readToEnd(): Promise<Uint8Array> {
    const chunks = [this.#rest];
    for (;;) {
      const next = await this.#iterator.next();
      if (next.done) break;
      chunks.push(next.value);
    }
    this.#rest = new Uint8Array(0);
    return concat(chunks);
  }
}

/** Send `bytes` in chunks of the given sizes (cycled), waiting for drain whenever `send` says so. */
export async function sendInChunks(
  connection: Connection,
  bytes: Uint8Array,
  sizes: readonly number[],
): Promise<void> {
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const end = Math.min(bytes.length, offset + sizes[i % sizes.length]!);
    if (!connection.send(bytes.subarray(offset, end))) await waitForDrain(connection);
    if (connection.isClosed) throw new Error(`connection closed after ${offset} bytes`);
    offset = end;
  }
}

/**
 * Send `chunkSize`-byte chunks, letting I/O run between them, until `until` holds,
 * the connection closes or `maxBytes` were sent. Returns the bytes sent.
 */
export async function sendUntil(
  connection: Connection,
  chunkSize: number,
  maxBytes: number,
  until: () => boolean,
): Promise<number> {
  const chunk = pattern(chunkSize);
  let sent = 0;
  while (sent < maxBytes && !connection.isClosed && !until()) {
    connection.send(chunk);
    sent += chunkSize;
    await tick();
  }
  return sent;
}
