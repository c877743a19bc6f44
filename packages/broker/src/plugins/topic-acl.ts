import { isAbsolute, resolve as resolvePath } from "node:path";
import { ReasonCode } from "@amqtt/codec";
import { checkTopicFilter } from "@amqtt/message";
import { readAclFile } from "./acl-file.js";
import {
  type AclAction,
  type AclRules,
  aclActions,
  addFilters,
  type ClientAcl,
  decide,
  emptyAclRules,
  resolveClientAcl,
  type UserFilters,
} from "./acl-rules.js";
import { topicAccessPlugin } from "./topic-check.js";
import { withoutSharePrefix } from "./topic-taboo.js";
import type { BrokerPlugin, ClientInfo, PluginContext } from "./types.js";

/** The `topic-acl` plugin; `reload()` re-reads its `acl_file` (the broker calls it on SIGHUP). */
export interface TopicAclPlugin extends BrokerPlugin {
  /** Re-read `acl_file`. On failure the rules in force stay and the error is thrown. */
  reload(): Promise<void>;
}

type FilterLists = Record<string, string[] | null> | null | undefined;

/** YAML option -> action and effect. `acl` and `subscribe_acl` both list subscriptions (merged). */
const listOptions: readonly [string, AclAction, "allow" | "deny"][] = [
  ["acl", "subscribe", "allow"],
  ["subscribe_acl", "subscribe", "allow"],
  ["publish_acl", "publish", "allow"],
  ["receive_acl", "receive", "allow"],
  ["deny_publish_acl", "publish", "deny"],
  ["deny_subscribe_acl", "subscribe", "deny"],
  ["deny_receive_acl", "receive", "deny"],
];

/** The rules written in the plugin's options (without `acl_file`). */
export function aclRulesFromOptions(options: Readonly<Record<string, unknown>>): AclRules {
  const rules = emptyAclRules();
  for (const [key, action, effect] of listOptions) {
    const lists = options[key] as FilterLists;
    if (lists == null) continue; // a missing list allows (aMQTT's docs; its `plugins` style denies: QUIRK not copied)
    if (effect === "allow") rules.allow[action] ??= new Map();
    const map: UserFilters = (effect === "deny" ? rules.deny[action] : rules.allow[action]) as UserFilters;
    for (const [user, filters] of Object.entries(lists)) addFilters(map, user, filters ?? []);
  }
  return rules;
}

/** Throw on a filter no subscription could use (checked with `%u`/`%c` standing for a level). */
function checkFilters(rules: AclRules): void {
  const all: string[] = [];
  for (const action of aclActions) {
    for (const list of rules.allow[action]?.values() ?? []) all.push(...list);
    for (const list of rules.deny[action].values()) all.push(...list);
    all.push(...rules.allowPatterns[action], ...rules.denyPatterns[action]);
  }
  for (const filter of all) {
    const error = checkTopicFilter(filter.replaceAll("%u", "u").replaceAll("%c", "c").replaceAll("%a", "a"), {
      shared: false,
    });
    if (error !== undefined) throw new Error(`invalid ACL topic filter "${filter}": ${error.message}`);
  }
}

let instances = 0;

/**
 * aMQTT's `TopicAccessControlListPlugin`, extended. Options:
 *
 * - `acl` / `subscribe_acl` (merged), `publish_acl`, `receive_acl`: user name ->
 *   allowed filters (`+`, `#`). Clients without a user name are looked up as
 *   `anonymous`. A missing list allows that action; a user absent from a present
 *   list is denied.
 * - `deny_publish_acl`, `deny_subscribe_acl`, `deny_receive_acl`: the same shape;
 *   deny wins over allow. A subscription is denied when a deny filter covers it;
 *   deny-subscribe filters also stop deliveries through wider subscriptions.
 * - `%u`, `%c` and `%a` in any filter stand for the user name, client id and
 *   the client's IP address (the real one behind a trusted proxy).
 * - `acl_file`: Mosquitto's ACL file format (see `parseAclFile`), added to the above.
 * - `subscribe_refusal_code`: SUBACK code for a refused subscription in 5.0,
 *   0x80 (default) or 0x87; 3.1.1 always gets 0x80.
 *
 * Subscriptions are checked as filters: `a/#` is granted only where the ACL
 * covers all of `a/#`, not just some topic under it. A 5.0 `$share/<group>/`
 * prefix is removed before checking.
 */
export function createTopicAclPlugin(context: PluginContext): TopicAclPlugin {
  const options = context.options;
  const refusalCode =
    options.subscribe_refusal_code === ReasonCode.NOT_AUTHORIZED
      ? ReasonCode.NOT_AUTHORIZED
      : ReasonCode.UNSPECIFIED_ERROR;
  const aclFile =
    typeof options.acl_file === "string"
      ? isAbsolute(options.acl_file)
        ? options.acl_file
        : resolvePath(options.acl_file)
      : undefined;
  let rules = aclRulesFromOptions(options);
  checkFilters(rules);
  // Clients cache their resolved rules; a new generation (reload) invalidates every cache.
  let generation = 0;
  const cacheKey = `topic-acl#${++instances}`;

  interface Cached {
    generation: number;
    username: string | undefined;
    clientId: string;
    acl: ClientAcl;
  }
  const aclFor = (client: ClientInfo): ClientAcl => {
    const cached = client.attributes.get(cacheKey) as Cached | undefined;
    if (
      cached !== undefined &&
      cached.generation === generation &&
      cached.username === client.username &&
      cached.clientId === client.clientId
    )
      return cached.acl;
    const acl = resolveClientAcl(rules, client);
    client.attributes.set(cacheKey, {
      generation,
      username: client.username,
      clientId: client.clientId,
      acl,
    });
    return acl;
  };

  const reload = async (): Promise<void> => {
    if (aclFile === undefined) return;
    const next = await readAclFile(aclFile, aclRulesFromOptions(options));
    checkFilters(next);
    rules = next;
    generation++;
    context.logger.info(`read ACL rules from ${aclFile}`);
  };
  const plugin: TopicAclPlugin = topicAccessPlugin(
    "topic-acl",
    (client, action, topic) => {
      if (action !== "subscribe") return decide(aclFor(client), action, topic);
      const allowed = decide(aclFor(client), action, withoutSharePrefix(topic, client.protocolVersion));
      if (allowed !== false) return allowed;
      return client.protocolVersion === 5 ? refusalCode : false;
    },
    { start: reload, reload },
  );
  return plugin;
}
