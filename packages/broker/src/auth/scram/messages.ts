/**
 * Parsers and builders for the four SCRAM messages (RFC 5802 section 7,
 * "Formal Syntax"). Every parser throws a {@link ScramError}, never anything
 * else, on input it refuses.
 */
import { decodeBase64, decodeUtf8, SHA256_BYTES } from "./crypto.js";
import { ScramError } from "./errors.js";
import { saslPrepLight } from "./saslprep.js";

/** Default bound on the size of one SCRAM message, in bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4096;

/** One `attr=value` pair of a message. */
interface Attribute {
  readonly key: string;
  readonly value: string;
}

/**
 * Bytes to text: bounded in size, well-formed UTF-8 and free of NUL, which no
 * SCRAM message may contain (RFC 5802 section 7: `value-safe-char` excludes it).
 */
export function decodeMessage(bytes: Uint8Array, maxBytes: number, what: string): string {
  if (bytes.length > maxBytes)
    throw new ScramError("message-too-large", `${what} is ${bytes.length} bytes, more than ${maxBytes}`);
  const text = decodeUtf8(bytes);
  if (text === undefined) throw new ScramError("malformed-message", `${what} is not well-formed UTF-8`);
  if (text.includes("\u0000")) throw new ScramError("malformed-message", `${what} contains NUL`);
  return text;
}

/** Split `a=x,b=y` into attributes; each must be one ASCII letter, "=" and a non-empty value. */
function parseAttributes(text: string, what: string): Attribute[] {
  return text.split(",").map((part) => {
    if (!/^[A-Za-z]=./s.test(part))
      throw new ScramError("malformed-message", `${what}: bad attribute "${part}"`);
    return { key: part[0]!, value: part.slice(2) };
  });
}

/** Expect attribute `key` at position `index`. */
function expectAttribute(attributes: Attribute[], index: number, key: string, what: string): string {
  const attribute = attributes[index];
  if (attribute?.key !== key)
    throw new ScramError("malformed-message", `${what}: expected "${key}=" attribute`);
  return attribute.value;
}

/** A `m=` first attribute is a mandatory extension we do not know (RFC 5802 section 5.1). */
function refuseMandatoryExtension(attributes: Attribute[], what: string): void {
  if (attributes[0]?.key === "m")
    throw new ScramError("extensions-not-supported", `${what}: mandatory extension "m=" is not supported`);
}

/** The `printable` rule of RFC 5802 section 7: %x21-2B / %x2D-7E, at least one. */
export function isPrintable(nonce: string): boolean {
  return /^[\x21-\x2B\x2D-\x7E]+$/.test(nonce);
}

/** Check a nonce attribute value and return it. */
function expectNonce(nonce: string, what: string): string {
  if (!isPrintable(nonce)) throw new ScramError("nonce-mismatch", `${what}: nonce is not printable ASCII`);
  return nonce;
}

/**
 * Encode a user name as a `saslname` (RFC 5802 section 5.1): "," becomes
 * "=2C" and "=" becomes "=3D".
 */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

/**
 * Decode a `saslname` and apply SASLprep-light; any "=" not followed by "2C"
 * or "3D" is an error (RFC 5802 section 5.1), and so is an empty result.
 */
export function unescapeSaslName(value: string): string {
  if (/=(?!2C|3D)/.test(value)) throw new ScramError("invalid-username-encoding", "bad '=' escape in a name");
  const prepared = saslPrepLight(value.replace(/=2C/g, ",").replace(/=3D/g, "="));
  if (prepared === undefined || prepared === "")
    throw new ScramError("invalid-username-encoding", "the name is empty or has prohibited characters");
  return prepared;
}

/** A parsed client-first-message. */
export interface ClientFirst {
  /** The GS2 header exactly as sent, e.g. `n,,`; client-final must echo it in `c=`. */
  readonly gs2Header: string;
  /** The client-first-message-bare, part of the AuthMessage. */
  readonly bare: string;
  /** The user name, unescaped and prepared. */
  readonly username: string;
  /** The client nonce. */
  readonly nonce: string;
}

/**
 * Parse a client-first-message: `gs2-header client-first-message-bare`.
 * The GS2 channel-binding flag (RFC 5802 section 7, `gs2-cbind-flag`) must be
 * `n` (client does not support channel binding) or `y` (client supports it but
 * thinks the server does not; true, as SCRAM-SHA-256-PLUS is not offered, so
 * RFC 5802 section 6 lets this pass). `p=<cb-name>` asks for channel binding,
 * which we refuse with `channel-binding-not-supported`.
 */
export function parseClientFirst(text: string): ClientFirst {
  const what = "client-first-message";
  if (text.startsWith("p="))
    throw new ScramError(
      "channel-binding-not-supported",
      `${what}: channel binding ("p=") was requested, but only SCRAM-SHA-256 without channel binding is offered`,
    );
  if (!text.startsWith("n,") && !text.startsWith("y,"))
    throw new ScramError("malformed-message", `${what}: GS2 header must start with "n,", "y," or "p="`);
  const authzidEnd = text.indexOf(",", 2);
  if (authzidEnd < 0) throw new ScramError("malformed-message", `${what}: GS2 header is not terminated`);
  const authzid = text.slice(2, authzidEnd);
  if (authzid !== "" && !/^a=./s.test(authzid))
    throw new ScramError("malformed-message", `${what}: GS2 authzid must be "a=<name>" or empty`);
  const gs2Header = text.slice(0, authzidEnd + 1);
  const bare = text.slice(authzidEnd + 1);
  const attributes = parseAttributes(bare, what);
  refuseMandatoryExtension(attributes, what);
  const username = unescapeSaslName(expectAttribute(attributes, 0, "n", what));
  const nonce = expectNonce(expectAttribute(attributes, 1, "r", what), what);
  // Acting as another identity is not supported: an authzid must name the user itself.
  if (authzid !== "" && unescapeSaslName(authzid.slice(2)) !== username)
    throw new ScramError("authzid-not-supported", `${what}: authzid differs from the user name`);
  return { gs2Header, bare, username, nonce };
}

/** A parsed client-final-message. */
export interface ClientFinal {
  /** The `c=` value: base64 of the GS2 header (no channel binding data). */
  readonly channelBinding: string;
  /** The combined client and server nonce. */
  readonly nonce: string;
  /** The ClientProof, 32 bytes. */
  readonly proof: Uint8Array;
  /** client-final-message-without-proof, part of the AuthMessage. */
  readonly withoutProof: string;
}

/** Parse a client-final-message: `c=...,r=...[,extensions],p=...` (RFC 5802 section 7). */
export function parseClientFinal(text: string): ClientFinal {
  const what = "client-final-message";
  const attributes = parseAttributes(text, what);
  const channelBinding = expectAttribute(attributes, 0, "c", what);
  const nonce = expectNonce(expectAttribute(attributes, 1, "r", what), what);
  const last = attributes.length - 1;
  if (last < 2) throw new ScramError("malformed-message", `${what}: the proof "p=" is missing`);
  const proof = decodeBase64(expectAttribute(attributes, last, "p", what));
  if (proof === undefined) throw new ScramError("malformed-message", `${what}: proof is not base64`);
  if (proof.length !== SHA256_BYTES)
    throw new ScramError("invalid-proof", `${what}: proof is ${proof.length} bytes, not ${SHA256_BYTES}`);
  const withoutProof = text.slice(0, text.lastIndexOf(",p="));
  return { channelBinding, nonce, proof, withoutProof };
}

/** A parsed server-first-message. */
export interface ServerFirst {
  /** The combined nonce. */
  readonly nonce: string;
  /** The user's salt. */
  readonly salt: Uint8Array;
  /** The PBKDF2 iteration count. */
  readonly iterations: number;
}

/** Parse a server-first-message: `r=...,s=...,i=...[,extensions]` (RFC 5802 section 7). */
export function parseServerFirst(text: string): ServerFirst {
  const what = "server-first-message";
  const attributes = parseAttributes(text, what);
  refuseMandatoryExtension(attributes, what);
  const nonce = expectNonce(expectAttribute(attributes, 0, "r", what), what);
  const salt = decodeBase64(expectAttribute(attributes, 1, "s", what));
  if (salt === undefined) throw new ScramError("malformed-message", `${what}: salt is not base64`);
  const count = expectAttribute(attributes, 2, "i", what);
  if (!/^[1-9][0-9]{0,9}$/.test(count))
    throw new ScramError(
      "malformed-message",
      `${what}: iteration count "${count}" is not a positive integer`,
    );
  return { nonce, salt, iterations: Number(count) };
}

/** A parsed server-final-message: either a verifier or an error value. */
export type ServerFinal = { readonly verifier: Uint8Array } | { readonly error: string };

/** Parse a server-final-message: `(e=... / v=...)[,extensions]` (RFC 5802 section 7). */
export function parseServerFinal(text: string): ServerFinal {
  const what = "server-final-message";
  const first = parseAttributes(text, what)[0]!;
  if (first.key === "e") return { error: first.value };
  if (first.key !== "v") throw new ScramError("malformed-message", `${what}: expected "v=" or "e="`);
  const verifier = decodeBase64(first.value);
  if (verifier === undefined) throw new ScramError("malformed-message", `${what}: verifier is not base64`);
  return { verifier };
}
