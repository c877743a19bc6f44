import { InvalidSnapshotError } from "./errors.js";

/** How bytes appear in a snapshot: `{ "$base64": "..." }`, so snapshots survive `JSON.stringify`. */
export interface PlainBytes {
  $base64: string;
}

/** A JSON value, the building block of snapshots. */
export type Plain = null | boolean | number | string | PlainBytes | Plain[] | { [key: string]: Plain };

// btoa/atob work on "binary strings"; convert in chunks to keep argument lists short.
const CHUNK = 0x8000;

/** Encode bytes as base64 (standard alphabet, padded). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** Decode base64 made by {@link bytesToBase64}. */
export function base64ToBytes(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch (cause) {
    throw new InvalidSnapshotError("invalid base64 in snapshot", { cause });
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Turn a value made of objects, arrays, strings, numbers, booleans and Uint8Arrays
 * into JSON-able data, each Uint8Array becoming `{ $base64 }`. `undefined` fields
 * are left out, as JSON would.
 */
export function toPlain(value: unknown): Plain {
  if (value instanceof Uint8Array) return { $base64: bytesToBase64(value) };
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === "object") {
    const out: { [key: string]: Plain } = {};
    for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = toPlain(v);
    return out;
  }
  if (
    typeof value === "number" ||
    typeof value === "string" ||
    typeof value === "boolean" ||
    value === null
  ) {
    return value;
  }
  throw new TypeError(`cannot put a ${typeof value} into a snapshot`);
}

/** The inverse of {@link toPlain}: `{ $base64 }` objects become Uint8Arrays again. */
export function fromPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromPlain);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === "$base64") {
      if (typeof record.$base64 !== "string") throw new InvalidSnapshotError("$base64 must be a string");
      return base64ToBytes(record.$base64);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = fromPlain(record[key]);
    return out;
  }
  return value;
}
