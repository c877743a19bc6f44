import { topicMatches } from "@amqtt/message";
import type { ClientInfo } from "./types.js";

/** What a client wants to do with a topic. */
export type AclAction = "publish" | "subscribe" | "receive";

/** The three actions, in a fixed order. */
export const aclActions: readonly AclAction[] = ["publish", "subscribe", "receive"];

/** User name -> topic filters (`+`, `#`, `%u`, `%c` allowed). */
export type UserFilters = Map<string, string[]>;

/** The user name ACL lists use for clients that sent none (aMQTT's convention). */
export const ANONYMOUS_USER = "anonymous";

/**
 * Access rules of the `topic-acl` plugin. An allow list that is `undefined`
 * allows that action to everyone (aMQTT: a missing list allows); a present list
 * denies users it does not name. Patterns apply to every client. Deny rules win.
 */
export interface AclRules {
  allow: Record<AclAction, UserFilters | undefined>;
  allowPatterns: Record<AclAction, string[]>;
  deny: Record<AclAction, UserFilters>;
  denyPatterns: Record<AclAction, string[]>;
}

/** Rules that allow everything: no list present, nothing denied. */
export function emptyAclRules(): AclRules {
  return {
    allow: { publish: undefined, subscribe: undefined, receive: undefined },
    allowPatterns: { publish: [], subscribe: [], receive: [] },
    deny: { publish: new Map(), subscribe: new Map(), receive: new Map() },
    denyPatterns: { publish: [], subscribe: [], receive: [] },
  };
}

/** Add `filters` for `user` to a user map. */
export function addFilters(map: UserFilters, user: string, filters: readonly string[]): void {
  const list = map.get(user);
  if (list === undefined) map.set(user, [...filters]);
  else list.push(...filters);
}

/** One client's rules with `%u` / `%c` already substituted. */
export interface ClientAcl {
  /** `undefined`: no list, the action is allowed. */
  allow: Record<AclAction, string[] | undefined>;
  deny: Record<AclAction, string[]>;
}

/**
 * Substitute `%u` (user name), `%c` (client id) and `%a` (the client's IP
 * address, the real one behind a trusted proxy) in a filter. Returns
 * `undefined` (the filter matches nothing) when `%u` is used by a client without
 * a user name, or when the substituted value holds `+`, `#` or `/`: such a value
 * would turn into wildcards or extra levels and reach other users' topics
 * (Mosquitto refuses `+` and `#` there too; `/` is our addition).
 */
export function substitute(filter: string, client: ClientInfo): string | undefined {
  if (!filter.includes("%")) return filter;
  let out = filter;
  if (out.includes("%u")) {
    const user = client.username;
    if (user === undefined || user === "" || unsafeInFilter(user)) return undefined;
    out = out.replaceAll("%u", user);
  }
  if (out.includes("%c")) {
    if (client.clientId === "" || unsafeInFilter(client.clientId)) return undefined;
    out = out.replaceAll("%c", client.clientId);
  }
  if (out.includes("%a")) {
    const host = client.remoteHost;
    if (host === undefined || unsafeInFilter(host)) return undefined;
    out = out.replaceAll("%a", host);
  }
  return out;
}

function unsafeInFilter(value: string): boolean {
  return value.includes("+") || value.includes("#") || value.includes("/");
}

/** Resolve the rules for one client: its own lists (or `anonymous`'s), the patterns, substitutions. */
export function resolveClientAcl(rules: AclRules, client: ClientInfo): ClientAcl {
  const user = client.username === undefined || client.username === "" ? ANONYMOUS_USER : client.username;
  const pick = (map: UserFilters | undefined, patterns: readonly string[]): string[] => {
    const out: string[] = [];
    for (const filter of [...(map?.get(user) ?? []), ...patterns]) {
      const resolved = substitute(filter, client);
      if (resolved !== undefined) out.push(resolved);
    }
    return out;
  };
  const allow = {} as ClientAcl["allow"];
  const deny = {} as ClientAcl["deny"];
  for (const action of aclActions) {
    allow[action] =
      rules.allow[action] === undefined ? undefined : pick(rules.allow[action], rules.allowPatterns[action]);
    deny[action] = pick(rules.deny[action], rules.denyPatterns[action]);
  }
  // What a client may not subscribe to it may not receive through a wider subscription either.
  deny.receive = [...deny.receive, ...deny.subscribe];
  return { allow, deny };
}

/**
 * True when ACL filter `acl` covers subscription filter `sub`: every topic `sub`
 * can match, `acl` matches too. So `a/#` covers `a/+/b`, but `a/+` does not
 * cover `a/#`. Leading wildcards do not cover `$` topics [MQTT-4.7.2-1].
 */
export function filterCovers(acl: string, sub: string): boolean {
  const a = acl.split("/");
  const s = sub.split("/");
  if (sub.startsWith("$") && (a[0] === "+" || a[0] === "#")) return false;
  for (let i = 0; ; i++) {
    const al = a[i];
    const sl = s[i];
    if (al === "#") return true; // the rest, and the parent level ("a/#" covers "a")
    if (al === undefined || sl === undefined) return al === sl;
    if (sl === "#") return false;
    if (al === "+") continue; // one level: a literal or "+"
    if (sl === "+" || al !== sl) return false;
  }
}

/** True when some filter in `filters` applies to `topic` for `action`. */
export function anyMatches(filters: readonly string[], action: AclAction, topic: string): boolean {
  for (const filter of filters) {
    if (action === "subscribe" ? filterCovers(filter, topic) : topicMatches(filter, topic)) return true;
  }
  return false;
}

/**
 * The decision for one client and one topic (a topic name, or a subscription's
 * filter without its share prefix): `false` when a deny rule applies or a present
 * list grants nothing, `true` when an allow rule applies, `undefined` when there
 * is no list for the action and nothing denies.
 */
export function decide(acl: ClientAcl, action: AclAction, topic: string): boolean | undefined {
  if (anyMatches(acl.deny[action], action, topic)) return false;
  const allow = acl.allow[action];
  if (allow === undefined) return undefined;
  return anyMatches(allow, action, topic);
}
