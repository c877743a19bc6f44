// `node:crypto` loaded on the first call, not at import: an idle broker whose
// clients bring their own ids and whose configuration checks no password never
// loads it (an ES import of it costs about 0.6 MB of RSS). `require` of a
// builtin is synchronous, so the callers keep their synchronous signatures.
import type { BinaryLike, Hash, Hmac, KeyObject } from "node:crypto";
import { createRequire } from "node:module";

type NodeCrypto = typeof import("node:crypto");
let loaded: NodeCrypto | undefined;

function nodeCrypto(): NodeCrypto {
  loaded ??= createRequire(import.meta.url)("node:crypto") as NodeCrypto;
  return loaded;
}

/** `crypto.randomBytes(size)`, loading `node:crypto` on first use. */
export function randomBytes(size: number): Buffer {
  return nodeCrypto().randomBytes(size);
}

/** `crypto.randomUUID()`, loading `node:crypto` on first use. */
export function randomUUID(): string {
  return nodeCrypto().randomUUID();
}

/** `crypto.createHash(algorithm)`, loading `node:crypto` on first use. */
export function createHash(algorithm: string): Hash {
  return nodeCrypto().createHash(algorithm);
}

/** `crypto.createHmac(algorithm, key)`, loading `node:crypto` on first use. */
export function createHmac(algorithm: string, key: BinaryLike | KeyObject): Hmac {
  return nodeCrypto().createHmac(algorithm, key);
}

/** `crypto.timingSafeEqual(a, b)`, loading `node:crypto` on first use. */
export function timingSafeEqual(a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean {
  return nodeCrypto().timingSafeEqual(a, b);
}

/** `crypto.pbkdf2Sync(...)`, loading `node:crypto` on first use. */
export function pbkdf2Sync(
  password: BinaryLike,
  salt: BinaryLike,
  iterations: number,
  keylen: number,
  digest: string,
): Buffer {
  return nodeCrypto().pbkdf2Sync(password, salt, iterations, keylen, digest);
}

/** `crypto.pbkdf2(...)` as a promise (in the thread pool), loading `node:crypto` on first use. */
export function pbkdf2(
  password: BinaryLike,
  salt: BinaryLike,
  iterations: number,
  keylen: number,
  digest: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    nodeCrypto().pbkdf2(password, salt, iterations, keylen, digest, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}
