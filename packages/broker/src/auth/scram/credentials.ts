/**
 * SCRAM-SHA-256 credentials as a server stores them (RFC 5802 section 3:
 * the server keeps StoredKey and ServerKey, never the password), and a text
 * form for password files in the style of RFC 5803:
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64 fields.
 */
import { randomBytes } from "../../lazy-crypto.js";
import {
  constantTimeEqual,
  decodeBase64,
  encodeBase64,
  hmacSha256,
  SHA256_BYTES,
  saltedPassword,
  sha256,
} from "./crypto.js";
import { ScramCredentialsError, ScramError } from "./errors.js";
import { saslPrepLight } from "./saslprep.js";

/** The MQTT Authentication Method (and SASL mechanism name, RFC 7677 section 3) for this module. */
export const SCRAM_SHA_256 = "SCRAM-SHA-256";

/** RFC 7677 section 4: the iteration count SHOULD be at least 4096. Our default and minimum. */
export const DEFAULT_SCRAM_ITERATIONS = 4096;

/** Salt size made by {@link deriveScramCredentials}, in bytes. */
export const DEFAULT_SALT_BYTES = 16;

/** What a server needs to verify a user (RFC 5802 section 3). */
export interface StoredCredentials {
  /** The user's salt. */
  readonly salt: Uint8Array;
  /** The PBKDF2 iteration count. */
  readonly iterations: number;
  /** H(ClientKey): checks the client proof. */
  readonly storedKey: Uint8Array;
  /** HMAC(SaltedPassword, "Server Key"): signs the server-final-message. */
  readonly serverKey: Uint8Array;
}

/** Options of {@link deriveScramCredentials}. */
export interface DeriveScramCredentialsOptions {
  /** PBKDF2 iterations; default {@link DEFAULT_SCRAM_ITERATIONS}. */
  readonly iterations?: number;
  /** The salt; default {@link DEFAULT_SALT_BYTES} random bytes. */
  readonly salt?: Uint8Array;
}

/** The keys derived from a password (RFC 5802 section 3), shared with the client. */
export interface ScramKeys {
  /** HMAC(SaltedPassword, "Client Key"). */
  readonly clientKey: Uint8Array;
  /** H(ClientKey). */
  readonly storedKey: Uint8Array;
  /** HMAC(SaltedPassword, "Server Key"). */
  readonly serverKey: Uint8Array;
}

/** Prepare a password with SASLprep-light, or throw `ScramError` (`invalid-credentials`). */
export function preparePassword(password: string): string {
  const prepared = saslPrepLight(password);
  if (prepared === undefined)
    throw new ScramError("invalid-credentials", "the password contains prohibited characters");
  return prepared;
}

/** Derive ClientKey, StoredKey and ServerKey from a password, salt and iteration count. */
export function deriveScramKeys(password: string, salt: Uint8Array, iterations: number): ScramKeys {
  const salted = saltedPassword(preparePassword(password), salt, iterations);
  const clientKey = hmacSha256(salted, "Client Key");
  return { clientKey, storedKey: sha256(clientKey), serverKey: hmacSha256(salted, "Server Key") };
}

/**
 * Derive the credentials to store for a password, e.g. to write a password
 * file line with {@link formatScramCredentials}.
 */
export function deriveScramCredentials(
  password: string,
  options: DeriveScramCredentialsOptions = {},
): StoredCredentials {
  const iterations = options.iterations ?? DEFAULT_SCRAM_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1)
    throw new RangeError(`iterations must be a positive integer, got ${iterations}`);
  // A copy, so a Buffer or a caller's later change never leaks into the stored credentials.
  const salt = Uint8Array.from(options.salt ?? randomBytes(DEFAULT_SALT_BYTES));
  if (salt.length === 0) throw new RangeError("the salt must not be empty");
  const { storedKey, serverKey } = deriveScramKeys(password, salt, iterations);
  return { salt, iterations, storedKey, serverKey };
}

/**
 * Check a plain password against stored SCRAM credentials, so the same
 * password file also serves CONNECT's User Name and Password fields.
 */
export function verifyScramPassword(credentials: StoredCredentials, password: string): boolean {
  const { storedKey } = deriveScramKeys(password, credentials.salt, credentials.iterations);
  return constantTimeEqual(storedKey, credentials.storedKey);
}

/** Render credentials as `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. */
export function formatScramCredentials(credentials: StoredCredentials): string {
  const { iterations, salt, storedKey, serverKey } = credentials;
  return `${SCRAM_SHA_256}$${iterations}:${encodeBase64(salt)}$${encodeBase64(storedKey)}:${encodeBase64(serverKey)}`;
}

/** Whether `text` looks like a SCRAM-SHA-256 credentials string (it may still fail to parse). */
export function isScramCredentials(text: string): boolean {
  return text.startsWith(`${SCRAM_SHA_256}$`);
}

const LINE = /^SCRAM-SHA-256\$([1-9][0-9]{0,9}):([^$:]+)\$([^$:]+):([^$:]+)$/;

/** Parse the text of {@link formatScramCredentials}; throws `ScramCredentialsError`. */
export function parseScramCredentials(text: string): StoredCredentials {
  const match = LINE.exec(text);
  if (match === null)
    throw new ScramCredentialsError(
      "expected SCRAM-SHA-256$<iterations>:<salt base64>$<StoredKey base64>:<ServerKey base64>",
    );
  const iterations = Number(match[1]);
  const salt = decodeBase64(match[2]!);
  const storedKey = decodeBase64(match[3]!);
  const serverKey = decodeBase64(match[4]!);
  if (!Number.isSafeInteger(iterations) || iterations > 0x7fffffff)
    throw new ScramCredentialsError(`iteration count ${match[1]} is too large`);
  if (salt === undefined || salt.length === 0) throw new ScramCredentialsError("the salt is not base64");
  if (storedKey?.length !== SHA256_BYTES || serverKey?.length !== SHA256_BYTES)
    throw new ScramCredentialsError(`StoredKey and ServerKey must be ${SHA256_BYTES} bytes of base64`);
  return { salt, iterations, storedKey, serverKey };
}
