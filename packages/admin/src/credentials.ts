import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parsePasswordFile, verifyPassword } from "@amqtt/broker";
import { TokensFileError } from "./errors.js";

/** What a caller may do: `viewer` reads (GET), `admin` does everything. */
export type Role = "viewer" | "admin";

/** Who a request is, once its credentials checked out. */
export interface Principal {
  name: string;
  role: Role;
  /** How it proved it: a password, a static token, a login session, or the loopback rule without credentials. */
  via: "basic" | "token" | "session" | "loopback";
}

const ROLES: ReadonlySet<string> = new Set(["viewer", "admin"]);

/** Default lifetime of a login session token. */
export const DEFAULT_SESSION_TTL_MS = 60 * 60 * 1000;
/** Default bound on live login session tokens; the oldest goes first. */
export const DEFAULT_MAX_SESSIONS = 1000;

/** The sha256 of `text`, as lowercase hex (how tokens are stored). */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * Parse the admin password file: the broker's format (`name:hash`, argon2,
 * bcrypt, sha512-crypt, PBKDF2 as file-auth reads them) with an optional role
 * after one more colon (`name:hash:viewer`); no role means `admin`.
 */
export function parseAdminUsers(text: string, file: string): Map<string, { hash: string; role: Role }> {
  const out = new Map<string, { hash: string; role: Role }>();
  for (const [name, rest] of parsePasswordFile(text, file)) {
    const colon = rest.lastIndexOf(":");
    const suffix = colon < 0 ? "" : rest.slice(colon + 1);
    if (ROLES.has(suffix)) out.set(name, { hash: rest.slice(0, colon), role: suffix as Role });
    else out.set(name, { hash: rest, role: "admin" });
  }
  return out;
}

/** Parse the tokens file: `name:role:sha256hex` per line; blank and `#` lines skipped. */
export function parseTokens(text: string, file: string): Map<string, { name: string; role: Role }> {
  const out = new Map<string, { name: string; role: Role }>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const [name, role, hash, ...more] = line.split(":");
    if (name === undefined || name === "" || more.length > 0 || hash === undefined)
      throw new TokensFileError(file, index + 1, 'expected "name:role:sha256hex"');
    if (!ROLES.has(role ?? "")) throw new TokensFileError(file, index + 1, "role is viewer or admin");
    if (!/^[0-9a-f]{64}$/.test(hash))
      throw new TokensFileError(
        file,
        index + 1,
        "the token is stored as 64 lowercase hex digits (its sha256)",
      );
    out.set(hash, { name, role: role as Role });
  });
  return out;
}

/** Where the credentials come from (`admin:` of the broker configuration). */
export interface CredentialFiles {
  passwordFile: string | undefined;
  tokensFile: string | undefined;
}

/**
 * The admin API's credentials: users (Basic, and `POST /auth/login`), static
 * bearer tokens stored as sha256, and login session tokens kept in memory
 * (bounded, expiring).
 */
export class Credentials {
  private users = new Map<string, { hash: string; role: Role }>();
  private tokens = new Map<string, { name: string; role: Role }>();
  /** Login sessions by sha256 of the token (the token itself is never kept). */
  private readonly sessions = new Map<string, { name: string; role: Role; expiresAt: number }>();

  constructor(
    private readonly files: CredentialFiles,
    private readonly sessionTtlMs = DEFAULT_SESSION_TTL_MS,
    private readonly maxSessions = DEFAULT_MAX_SESSIONS,
  ) {}

  /** True when a password file or a tokens file is configured. */
  get configured(): boolean {
    return this.files.passwordFile !== undefined || this.files.tokensFile !== undefined;
  }

  /** Live login sessions (for the bound's test). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** (Re-)read the files. Throws PasswordFileError / TokensFileError naming the line. */
  async load(): Promise<void> {
    const { passwordFile, tokensFile } = this.files;
    // Both files parse before either replaces what is in use.
    const users =
      passwordFile === undefined
        ? new Map<string, { hash: string; role: Role }>()
        : parseAdminUsers(await readFile(passwordFile, "utf8"), passwordFile);
    const tokens =
      tokensFile === undefined
        ? new Map<string, { name: string; role: Role }>()
        : parseTokens(await readFile(tokensFile, "utf8"), tokensFile);
    this.users = users;
    this.tokens = tokens;
  }

  /** Check a user name and password; the user's role when they match. */
  async verifyUser(name: string, password: string): Promise<Role | undefined> {
    const user = this.users.get(name);
    if (user === undefined) return undefined;
    try {
      return (await verifyPassword(user.hash, password)) ? user.role : undefined;
    } catch {
      // An unsupported hash format refuses, as file-auth does.
      return undefined;
    }
  }

  /** Check a bearer token: a static one (by its sha256) or a live login session. */
  verifyToken(token: string, now = Date.now()): Principal | undefined {
    const hash = sha256Hex(token);
    const fixed = this.tokens.get(hash);
    // Looked up by the token's sha256: timing reveals nothing an attacker can steer towards a match.
    if (fixed !== undefined) return { ...fixed, via: "token" };
    const session = this.sessions.get(hash);
    if (session === undefined) return undefined;
    if (session.expiresAt <= now) {
      this.sessions.delete(hash);
      return undefined;
    }
    return { name: session.name, role: session.role, via: "session" };
  }

  /** Start a login session for a verified user: a random token, returned once. */
  startSession(name: string, role: Role, now = Date.now()): { token: string; expiresAt: number } {
    const token = randomBytes(32).toString("base64url");
    const expiresAt = now + this.sessionTtlMs;
    for (const [key, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(key);
    // Over the bound the oldest session ends (a Map iterates in insertion order).
    while (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    this.sessions.set(sha256Hex(token), { name, role, expiresAt });
    return { token, expiresAt };
  }
}
