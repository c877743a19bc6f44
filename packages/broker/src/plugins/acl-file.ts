import { readFile } from "node:fs/promises";
import { type AclAction, type AclRules, ANONYMOUS_USER, addFilters, emptyAclRules } from "./acl-rules.js";

/** A line of an ACL file that cannot be understood. */
export class AclFileError extends Error {
  override name = "AclFileError";
  /** 1-based line number. */
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.line = line;
  }
}

type Access = "read" | "write" | "readwrite" | "deny";
const accesses = new Set<string>(["read", "write", "readwrite", "deny"]);

/** Actions each access word grants (or, for `deny`, takes away). */
const actionsOf: Record<Access, readonly AclAction[]> = {
  read: ["subscribe", "receive"],
  write: ["publish"],
  readwrite: ["publish", "subscribe", "receive"],
  // Denying subscribe denies receive too (see resolveClientAcl).
  deny: ["publish", "subscribe"],
};

/**
 * Parse Mosquitto's `acl_file` format:
 *
 * - `user <name>`: the following `topic` lines are this user's;
 * - `topic [read|write|readwrite|deny] <filter>`: for the current user, or for
 *   clients without a user name (`anonymous`) before the first `user` line;
 *   without an access word, `readwrite`;
 * - `pattern [read|write|readwrite|deny] <filter>`: for every client, with
 *   `%u` (user name) and `%c` (client id) substituted;
 * - blank lines and lines starting with `#` are skipped.
 *
 * `read` allows subscribe and receive, `write` publish. An ACL file makes every
 * list present: what it does not grant is denied, as in Mosquitto.
 */
export function parseAclFile(text: string, file = "acl file", rules: AclRules = emptyAclRules()): AclRules {
  for (const action of ["publish", "subscribe", "receive"] as const) rules.allow[action] ??= new Map();
  let user = ANONYMOUS_USER;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const [keyword = "", rest = ""] = splitFirst(line);
    if (keyword === "user") {
      if (rest === "") throw new AclFileError(file, index + 1, "user needs a name");
      user = rest;
      return;
    }
    if (keyword !== "topic" && keyword !== "pattern")
      throw new AclFileError(file, index + 1, `expected "user", "topic" or "pattern", found "${keyword}"`);
    let access: Access = "readwrite";
    let filter = rest;
    const [word = "", afterWord = ""] = splitFirst(rest);
    if (accesses.has(word) && afterWord !== "") {
      access = word as Access;
      filter = afterWord;
    }
    if (filter === "") throw new AclFileError(file, index + 1, `${keyword} needs a topic filter`);
    for (const action of actionsOf[access]) {
      if (keyword === "pattern") {
        (access === "deny" ? rules.denyPatterns : rules.allowPatterns)[action].push(filter);
      } else if (access === "deny") {
        addFilters(rules.deny[action], user, [filter]);
      } else {
        addFilters(rules.allow[action]!, user, [filter]);
      }
    }
  });
  return rules;
}

/** Read and parse an ACL file, adding its rules to `rules`. */
export async function readAclFile(file: string, rules?: AclRules): Promise<AclRules> {
  return parseAclFile(await readFile(file, "utf8"), file, rules);
}

/** `"a b c"` -> `["a", "b c"]`. A topic may contain spaces, so the rest is kept whole. */
function splitFirst(text: string): [string, string] {
  const match = /^(\S+)\s*(.*)$/.exec(text);
  return match === null ? ["", ""] : [match[1]!, match[2]!.trim()];
}
