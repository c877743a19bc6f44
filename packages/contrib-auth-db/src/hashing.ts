import { pbkdf2, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { hashPassword, passwordHashFormat, verifyPassword } from "@amqtt/broker";

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** aMQTT's `hash_schemes` names. `pbkdf2_sha256` and `scrypt` (passlib's) are verified only, then upgraded. */
export const HASH_SCHEMES = ["argon2", "bcrypt", "pbkdf2_sha256", "scrypt"] as const;

/** One of `HASH_SCHEMES`. */
export type HashScheme = (typeof HASH_SCHEMES)[number];

const LEGACY: ReadonlySet<HashScheme> = new Set(["pbkdf2_sha256", "scrypt"]);

/** The outcome of checking a password against a stored hash. */
export interface HashCheck {
  valid: boolean;
  /** A new hash in the preferred scheme, when the password was valid and the stored hash should be replaced. */
  upgraded: string | undefined;
}

/**
 * aMQTT's password hasher: the first scheme hashes new passwords, every listed
 * scheme verifies, and a valid password stored in another scheme (or in a legacy
 * passlib scheme) is re-hashed with the first one. Argon2 and bcrypt are the
 * broker's own (`@amqtt/broker`'s password-hash module).
 */
export class PasswordHasher {
  readonly schemes: readonly HashScheme[];

  constructor(schemes: readonly HashScheme[] = ["argon2", "bcrypt"]) {
    const list = schemes.length === 0 ? (["argon2", "bcrypt"] as const) : schemes;
    // As aMQTT: legacy schemes only verify, so argon2 leads when none of the hashing schemes is listed first.
    this.schemes = list.some((s) => LEGACY.has(s)) && !list.includes("argon2") ? ["argon2", ...list] : list;
    if (LEGACY.has(this.schemes[0] as HashScheme))
      this.schemes = ["argon2", ...this.schemes.filter((s) => s !== "argon2")];
  }

  /** Hash a new password with the first scheme. */
  hash(password: string): Promise<string> {
    return hashPassword(password, { algorithm: this.schemes[0] === "bcrypt" ? "bcrypt" : "argon2id" });
  }

  /** Check `password`; a hash in a scheme that is not configured never matches. */
  async verify(stored: string, password: string): Promise<HashCheck> {
    const scheme = schemeOf(stored);
    if (scheme === undefined || !this.schemes.includes(scheme)) return { valid: false, upgraded: undefined };
    const valid = await verifyInScheme(scheme, stored, password);
    const stale = scheme !== this.schemes[0] || LEGACY.has(scheme);
    return { valid, upgraded: valid && stale ? await this.hash(password) : undefined };
  }
}

/** The scheme a stored hash is in, or `undefined`. */
export function schemeOf(stored: string): HashScheme | undefined {
  if (stored.startsWith("$pbkdf2-sha256$")) return "pbkdf2_sha256";
  if (stored.startsWith("$scrypt$")) return "scrypt";
  const format = passwordHashFormat(stored);
  return format === "argon2" || format === "bcrypt" ? format : undefined;
}

async function verifyInScheme(scheme: HashScheme, stored: string, password: string): Promise<boolean> {
  try {
    switch (scheme) {
      case "argon2":
      case "bcrypt":
        return await verifyPassword(stored, password);
      case "pbkdf2_sha256":
        return await verifyPasslibPbkdf2(stored, password);
      case "scrypt":
        return await verifyPasslibScrypt(stored, password);
    }
  } catch {
    return false; // a malformed hash matches nothing
  }
}

/**
 * passlib's "adapted base64": `.` for `+`, no padding. aMQTT decodes it as
 * plain base64, which drops every `.` (QUIRK: a salt or checksum with a `.`
 * never verifies there); it is decoded faithfully here.
 */
function decodeAb64(text: string): Buffer {
  return Buffer.from(text.replaceAll(".", "+"), "base64");
}

/** passlib `$pbkdf2-sha256$<rounds>$<salt>$<checksum>` (PBKDF2-HMAC-SHA256, 32 bytes). */
async function verifyPasslibPbkdf2(stored: string, password: string): Promise<boolean> {
  const [, , roundsText, salt, checksum] = stored.split("$");
  const rounds = Number(roundsText);
  if (!Number.isInteger(rounds) || rounds < 1 || salt === undefined || checksum === undefined) return false;
  const expected = decodeAb64(checksum);
  const actual = await pbkdf2Async(password, decodeAb64(salt), rounds, expected.length, "sha256");
  return expected.length > 0 && timingSafeEqual(actual, expected);
}

/** passlib `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<checksum>` (32 bytes). */
async function verifyPasslibScrypt(stored: string, password: string): Promise<boolean> {
  const [, , config, salt, checksum] = stored.split("$");
  if (config === undefined || salt === undefined || checksum === undefined) return false;
  const params = new Map(config.split(",").map((pair) => pair.split("=") as [string, string]));
  const ln = Number(params.get("ln"));
  const r = Number(params.get("r"));
  const p = Number(params.get("p"));
  // The same 64 MiB memory ceiling as aMQTT: a hostile row cannot make the broker allocate more.
  if (![ln, r, p].every(Number.isInteger) || ln < 1 || ln > 24) return false;
  const expected = decodeAb64(checksum);
  const actual = await scryptAsync(password, decodeAb64(salt), expected.length, {
    N: 2 ** ln,
    r,
    p,
    maxmem: 64 * 1024 * 1024,
  });
  return expected.length > 0 && timingSafeEqual(actual, expected);
}
