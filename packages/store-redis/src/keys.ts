import { createHash } from "node:crypto";

/** Slots the sessions are spread over: one Redis Cluster hash tag per bucket. */
export const SESSION_BUCKETS = 256;

/**
 * The key names of one store. Every key of one session (record, queue, queue
 * bytes, epoch) carries the hash tag `{s<n>}` of its bucket, so one Lua script
 * may touch them all on a Redis Cluster; `n` is the first byte of the SHA-256
 * of the client id, so a client id holding `{` or `}` cannot pick the slot.
 * Retained messages share one tag, `{r}`: their bounds hold for the whole store,
 * which one script can only check on one slot. @internal
 */
export class KeySpace {
  /** The key prefix, checked: no braces (a brace would become the hash tag). */
  readonly prefix: string;

  constructor(prefix: string) {
    if (/[{}]/.test(prefix))
      throw new RangeError(`keyPrefix must not contain { or }, got ${JSON.stringify(prefix)}`);
    this.prefix = prefix;
  }

  /** The bucket of a client id, 0..255. */
  bucketOf(clientId: string): number {
    return createHash("sha256").update(clientId, "utf8").digest()[0] as number;
  }

  /** The common start of every key in `bucket`: `<prefix>{s<bucket>}:`. */
  bucketBase(bucket: number): string {
    return `${this.prefix}{s${bucket}}:`;
  }

  // The last client asked for: a turn's calls for one client hash it once.
  private lastId: string | undefined;
  private lastKeys: ClientKeys | undefined;

  /** Every key of one client, in its bucket. */
  clientKeys(clientId: string): ClientKeys {
    if (clientId === this.lastId && this.lastKeys !== undefined) return this.lastKeys;
    const base = this.bucketBase(this.bucketOf(clientId));
    const keys: ClientKeys = {
      base,
      session: `${base}session:${clientId}`,
      sessions: `${base}sessions`,
      sessionExpiry: `${base}sexp`,
      epoch: `${base}epoch:${clientId}`,
      queue: `${base}q:${clientId}`,
      queueBytes: `${base}qb:${clientId}`,
      queueExpiry: `${base}qexp`,
      seq: `${base}seq`,
    };
    this.lastId = clientId;
    this.lastKeys = keys;
    return keys;
  }

  /** The retained-message keys (one slot). */
  retainedKeys(): RetainedKeys {
    const base = `${this.prefix}{r}:`;
    return {
      messages: `${base}retained`,
      topics: `${base}rtopics`,
      expiry: `${base}rexp`,
      bytes: `${base}rbytes`,
    };
  }
}

/** Keys of one client (see {@link KeySpace}). @internal */
export interface ClientKeys {
  /** `<prefix>{s<n>}:`, the bucket's base; scripts derive other clients' keys from it. */
  base: string;
  /** STRING: the session record (tagged JSON). */
  session: string;
  /** SET: client ids with a session in this bucket. */
  sessions: string;
  /** ZSET: client id scored by `expiresAt`. */
  sessionExpiry: string;
  /** STRING: the fencing epoch of the session. */
  epoch: string;
  /** ZSET: queued messages scored by seq, each member `<seq>|<entry>`. */
  queue: string;
  /** STRING: bytes of the queue (its count is the ZCARD). */
  queueBytes: string;
  /** ZSET: `<seq>:<clientId>` scored by `expiresAt`, for the bucket. */
  queueExpiry: string;
  /** STRING: the seq counter of the bucket (never reset). */
  seq: string;
}

/** Keys of the retained messages (see {@link KeySpace}). @internal */
export interface RetainedKeys {
  /** HASH: topic -> entry. */
  messages: string;
  /** ZSET, all scores 0: topics in lexical order, for prefix scans. */
  topics: string;
  /** ZSET: topic scored by `expiresAt`. */
  expiry: string;
  /** STRING: bytes of all retained messages (the count is the HLEN). */
  bytes: string;
}
