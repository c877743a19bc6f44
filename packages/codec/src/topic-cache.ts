import { decodeUtf8 } from "./utf8.js";

/** Entries of the topic cache (a power of two). */
export const TOPIC_CACHE_ENTRIES = 256;
/** Longest topic (in bytes) the cache keeps; longer ones are decoded every time. */
export const TOPIC_CACHE_MAX_BYTES = 64;

interface CachedTopic {
  /** The encoded topic, an own copy (never a view into a received chunk). */
  readonly bytes: Uint8Array;
  readonly topic: string;
}

/**
 * The decoded topic names of recent PUBLISH packets, by their bytes: a broker
 * reads the same few topics over and over (a sensor's topic on every reading),
 * and a hit gives back the same string without decoding it again or allocating.
 * Direct-mapped and bounded: at most {@link TOPIC_CACHE_ENTRIES} entries of at
 * most {@link TOPIC_CACHE_MAX_BYTES} bytes each, a new topic replaces the one in
 * its slot. Only well-formed strings are kept (`decodeUtf8` threw otherwise), so
 * a hit needs no new check; what the caller checks on the string (wildcards) it
 * checks on a hit too.
 */
const slots: (CachedTopic | undefined)[] = new Array(TOPIC_CACHE_ENTRIES).fill(undefined);

/** Decode the topic name `buf[start..end)` (see `decodeUtf8`), from the cache when it holds these bytes. */
export function decodeTopic(buf: Uint8Array, start: number, end: number, v5: boolean): string {
  const length = end - start;
  if (length > TOPIC_CACHE_MAX_BYTES || length === 0) return decodeUtf8(buf, start, end, v5);
  let hash = length;
  for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + buf[i]!) | 0;
  const slot = (hash ^ (hash >>> 16)) & (TOPIC_CACHE_ENTRIES - 1);
  const cached = slots[slot];
  if (cached !== undefined && sameBytes(cached.bytes, buf, start, length)) return cached.topic;
  const topic = decodeUtf8(buf, start, end, v5);
  // A copy: `buf` may be a Node Buffer, whose `slice` is a view into the received chunk.
  const bytes = new Uint8Array(length);
  bytes.set(buf.subarray(start, end));
  slots[slot] = { bytes, topic };
  return topic;
}

function sameBytes(a: Uint8Array, buf: Uint8Array, start: number, length: number): boolean {
  if (a.length !== length) return false;
  for (let i = 0; i < length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}

/** @internal Entries in use (for the test of the bound). */
export function topicCacheSize(): number {
  let n = 0;
  for (const s of slots) if (s !== undefined) n++;
  return n;
}
