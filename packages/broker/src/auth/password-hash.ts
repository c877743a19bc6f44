import { createHash, pbkdf2, randomBytes, timingSafeEqual } from "../lazy-crypto.js";

// argon2 (a native addon), bcryptjs and unixcrypt are imported where a hash of
// their format is checked or made: a broker without a password file never loads
// them.

/** Hash formats a password file may hold. */
export type PasswordHashFormat =
  | "argon2" // $argon2id$ / $argon2i$ / $argon2d$: aMQTT's default, and ours
  | "bcrypt" // $2a$ / $2b$ / $2y$
  | "sha512-crypt" // $6$[rounds=N$]salt$hash: aMQTT's legacy format
  | "mosquitto-pbkdf2" // $7$iterations$salt$hash: mosquitto_passwd 2.x
  | "mosquitto-sha512"; // $6$salt$hash with base64 fields: mosquitto_passwd 1.x

/** A hash in a format we do not know; the user cannot log in with it. */
export class UnsupportedPasswordHashError extends Error {
  override name = "UnsupportedPasswordHashError";
}

/** Which format `hash` is in, or `undefined`. */
export function passwordHashFormat(hash: string): PasswordHashFormat | undefined {
  if (/^\$argon2(id|i|d)\$/.test(hash)) return "argon2";
  if (/^\$2[aby]\$\d\d\$/.test(hash)) return "bcrypt";
  if (hash.startsWith("$7$")) return "mosquitto-pbkdf2";
  if (hash.startsWith("$6$")) {
    // Both crypt(3)'s SHA-512 and mosquitto 1.x use "$6$". crypt's hash is 86
    // characters of [./0-9A-Za-z]; mosquitto's is 88 characters of padded base64.
    const last = hash.slice(hash.lastIndexOf("$") + 1);
    return /^[A-Za-z0-9+/]{86}==$/.test(last) ? "mosquitto-sha512" : "sha512-crypt";
  }
  return undefined;
}

/**
 * Check `password` against a stored hash in any supported format. Resolves to
 * false on a mismatch; throws `UnsupportedPasswordHashError` for an unknown format.
 */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  switch (passwordHashFormat(hash)) {
    case "argon2":
      return (await import("@node-rs/argon2")).verify(hash, password);
    case "bcrypt":
      return (await import("bcryptjs")).default.compare(password, hash);
    case "sha512-crypt":
      return (await import("unixcrypt")).verify(password, hash);
    case "mosquitto-pbkdf2":
      return verifyMosquittoPbkdf2(hash, password);
    case "mosquitto-sha512":
      return verifyMosquittoSha512(hash, password);
    default:
      throw new UnsupportedPasswordHashError(`unsupported password hash format "${hash.slice(0, 10)}..."`);
  }
}

/** mosquitto_passwd 2.x: `$7$<iterations>$<base64 salt>$<base64 PBKDF2-SHA512>`. */
async function verifyMosquittoPbkdf2(hash: string, password: string): Promise<boolean> {
  const [, , iterationsText, saltB64, hashB64] = hash.split("$");
  const iterations = Number(iterationsText);
  if (!Number.isInteger(iterations) || iterations < 1 || saltB64 === undefined || hashB64 === undefined)
    throw new UnsupportedPasswordHashError("malformed mosquitto $7$ hash");
  const expected = Buffer.from(hashB64, "base64");
  const actual = await pbkdf2(
    password,
    Buffer.from(saltB64, "base64"),
    iterations,
    expected.length,
    "sha512",
  );
  return expected.length > 0 && timingSafeEqual(actual, expected);
}

/** mosquitto_passwd 1.x: `$6$<base64 salt>$<base64 SHA-512(password || salt)>`. */
function verifyMosquittoSha512(hash: string, password: string): boolean {
  const [, , saltB64, hashB64] = hash.split("$");
  if (saltB64 === undefined || hashB64 === undefined)
    throw new UnsupportedPasswordHashError("malformed mosquitto $6$ hash");
  const expected = Buffer.from(hashB64, "base64");
  const actual = createHash("sha512")
    .update(password, "utf8")
    .update(Buffer.from(saltB64, "base64"))
    .digest();
  return timingSafeEqual(actual, expected);
}

/** Options of `hashPassword`. */
export interface HashPasswordOptions {
  /** `argon2id` (default, as aMQTT), `bcrypt`, or `mosquitto-pbkdf2` for files shared with Mosquitto. */
  algorithm?: "argon2id" | "bcrypt" | "mosquitto-pbkdf2";
}

/** Hash a password for a password file (argon2id by default, with its library's recommended cost). */
export async function hashPassword(password: string, options: HashPasswordOptions = {}): Promise<string> {
  switch (options.algorithm ?? "argon2id") {
    case "argon2id":
      return (await import("@node-rs/argon2")).hash(password, { algorithm: 2 });
    case "bcrypt":
      return (await import("bcryptjs")).default.hash(password, 12);
    case "mosquitto-pbkdf2": {
      // mosquitto_passwd's own parameters: 101 iterations is its default, 12-byte salt.
      const salt = randomBytes(12);
      const iterations = 101;
      const derived = await pbkdf2(password, salt, iterations, 64, "sha512");
      return `$7$${iterations}$${salt.toString("base64")}$${derived.toString("base64")}`;
    }
  }
}
