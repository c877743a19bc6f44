import { readFile } from "node:fs/promises";

/** A malformed line in a password file. */
export class PasswordFileError extends Error {
  override name = "PasswordFileError";
  /** 1-based line number. */
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.line = line;
  }
}

/**
 * Parse a password file: one `username:hash` per line, blank lines and lines
 * starting with `#` skipped (aMQTT's format, which is also mosquitto_passwd's).
 * The user name is everything before the first colon.
 */
export function parsePasswordFile(text: string, file = "password file"): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    if (colon <= 0 || colon === line.length - 1)
      throw new PasswordFileError(file, index + 1, 'expected "username:hash"');
    users.set(line.slice(0, colon), line.slice(colon + 1));
  });
  return users;
}

/** Read and parse a password file. */
export async function readPasswordFile(file: string): Promise<Map<string, string>> {
  return parsePasswordFile(await readFile(file, "utf8"), file);
}

/** Render users back to the file format, one `username:hash` per line. */
export function formatPasswordFile(users: ReadonlyMap<string, string>): string {
  let out = "";
  for (const [user, hash] of users) out += `${user}:${hash}\n`;
  return out;
}
