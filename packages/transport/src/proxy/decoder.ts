import { ProxyProtocolError } from "./errors.js";
import type { ProxyHeader } from "./header.js";
import { decodeV1, V1_PREFIX } from "./v1.js";
import { decodeV2, V2_FIXED_LENGTH, V2_SIGNATURE } from "./v2.js";

/** Default of {@link ProxyHeaderDecoderOptions.maxHeaderBytes}: 4 KiB (HAProxy's headers with TLVs are well under). */
export const DEFAULT_PROXY_HEADER_MAX_BYTES = 4096;

/** Options of {@link ProxyHeaderDecoder}. */
export interface ProxyHeaderDecoderOptions {
  /**
   * Largest v2 header accepted, in bytes (fixed part, addresses and TLVs); a
   * header announcing more is refused with reason `"too-long"`. A v1 header is
   * bounded by its spec at 107 bytes. Default {@link DEFAULT_PROXY_HEADER_MAX_BYTES}.
   */
  maxHeaderBytes?: number;
}

/** A complete header and the bytes after it (the start of the client's own stream). */
export interface ProxyDecoded {
  readonly header: ProxyHeader;
  readonly rest: Uint8Array;
}

/**
 * Incremental PROXY protocol (v1 or v2) reader, sans-IO: push the first chunks
 * of a connection until it returns the header and the bytes that followed it.
 * Chunk boundaries do not matter. A first byte that starts neither version is
 * refused at once (`"missing-header"`); so is a prefix that stops matching.
 * Errors are {@link ProxyProtocolError}s; after one, the connection must close.
 *
 * @example
 * ```ts
 * const decoder = new ProxyHeaderDecoder();
 * const done = decoder.push(chunk); // undefined: need more bytes
 * if (done) console.log(done.header.source, done.rest.length);
 * ```
 */
export class ProxyHeaderDecoder {
  readonly #maxHeaderBytes: number;
  #buffer: Uint8Array = new Uint8Array(0);
  #done = false;

  constructor(options: ProxyHeaderDecoderOptions = {}) {
    const max = options.maxHeaderBytes ?? DEFAULT_PROXY_HEADER_MAX_BYTES;
    if (!Number.isInteger(max) || max < V2_FIXED_LENGTH)
      throw new RangeError(`maxHeaderBytes must be an integer of at least ${V2_FIXED_LENGTH}, got ${max}`);
    this.#maxHeaderBytes = max;
  }

  /** Bytes held so far (never more than the bound plus one chunk). */
  get bufferedBytes(): number {
    return this.#buffer.length;
  }

  /** Add a chunk; the header and the rest once complete, `undefined` while more is needed. */
  push(chunk: Uint8Array): ProxyDecoded | undefined {
    if (this.#done)
      throw new Error("the PROXY header was already decoded; pass later bytes to the connection");
    const bytes = this.#append(chunk);
    const header = decode(bytes, this.#maxHeaderBytes);
    if (header === undefined) return undefined;
    this.#done = true;
    this.#buffer = new Uint8Array(0);
    return { header, rest: bytes.subarray(header.length) };
  }

  #append(chunk: Uint8Array): Uint8Array {
    if (this.#buffer.length === 0) {
      this.#buffer = chunk;
      return chunk;
    }
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    this.#buffer = joined;
    return joined;
  }
}

/**
 * Decode a header at the start of `bytes` in one call: the header, or
 * `undefined` when `bytes` stop before its end. Throws {@link ProxyProtocolError}.
 */
export function decodeProxyHeader(
  bytes: Uint8Array,
  maxHeaderBytes = DEFAULT_PROXY_HEADER_MAX_BYTES,
): ProxyHeader | undefined {
  return decode(bytes, maxHeaderBytes);
}

function decode(bytes: Uint8Array, maxHeaderBytes: number): ProxyHeader | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes[0] === V1_PREFIX[0]) {
    if (!startsWith(bytes, V1_PREFIX)) throw missing();
    return bytes.length <= V1_PREFIX.length ? undefined : decodeV1(bytes);
  }
  if (bytes[0] === V2_SIGNATURE[0]) {
    if (!startsWith(bytes, V2_SIGNATURE)) throw missing();
    return bytes.length <= V2_SIGNATURE.length ? undefined : decodeV2(bytes, maxHeaderBytes);
  }
  throw missing();
}

/** True when the bytes there are (up to `prefix`'s length) agree with `prefix`. */
function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  const n = Math.min(bytes.length, prefix.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function missing(): ProxyProtocolError {
  return new ProxyProtocolError(
    "missing-header",
    "the connection does not start with a PROXY v1 or v2 header",
  );
}
