import { z } from "zod";
import type { ConfigIssue } from "./errors.js";

/** A plugin chosen by the configuration, with its validated options. */
export interface PluginSpec {
  /** Our name for a built-in plugin (`anonymous-auth`, ...), or `module` for user code. */
  name: BuiltinPluginName | "module";
  /** For `module`: the import specifier of the user's plugin module. */
  specifier?: string;
  /** Options as written (snake_case, like aMQTT's), validated for built-ins. */
  options: Record<string, unknown>;
  /** The name the configuration used, for messages (e.g. aMQTT's dotted class path). */
  configuredAs: string;
}

const filterLists = z.record(z.string(), z.array(z.string()).nullable()).nullable();

/** Built-in plugins: our name, aMQTT's names for it, and its options. */
const builtins = {
  "event-logger": {
    aliases: [
      "amqtt.plugins.logging_amqtt.EventLoggerPlugin",
      "amqtt.plugins.logging.EventLoggerPlugin",
      "event_logger_plugin",
    ],
    options: z.strictObject({}),
  },
  "packet-logger": {
    aliases: [
      "amqtt.plugins.logging_amqtt.PacketLoggerPlugin",
      "amqtt.plugins.logging.PacketLoggerPlugin",
      "packet_logger_plugin",
    ],
    options: z.strictObject({}),
  },
  "anonymous-auth": {
    aliases: ["amqtt.plugins.authentication.AnonymousAuthPlugin", "auth_anonymous"],
    options: z.strictObject({ allow_anonymous: z.boolean().default(true) }),
  },
  "file-auth": {
    aliases: ["amqtt.plugins.authentication.FileAuthPlugin", "auth_file"],
    // Without a file the plugin abstains and the broker warns, as aMQTT's does.
    options: z.strictObject({ password_file: z.string().min(1).nullable().optional() }),
  },
  "cert-auth": {
    aliases: ["amqtt.contrib.cert.UserAuthCertPlugin"],
    // The SPIFFE trust domain of the device certificates: spiffe://<uri_domain>/device/<client id>.
    options: z.strictObject({ uri_domain: z.string().min(1) }),
  },
  "topic-taboo": {
    aliases: ["amqtt.plugins.topic_checking.TopicTabooPlugin", "topic_taboo"],
    options: z.strictObject({}),
  },
  "topic-acl": {
    aliases: ["amqtt.plugins.topic_checking.TopicAccessControlListPlugin", "topic_acl"],
    // aMQTT's plugin style only loads `acl` and `publish_acl` (QUIRK); all four work here.
    options: z.strictObject({
      acl: filterLists.optional(),
      publish_acl: filterLists.optional(),
      subscribe_acl: filterLists.optional(),
      receive_acl: filterLists.optional(),
      // Ours: deny rules (deny wins), Mosquitto's acl_file, and the SUBACK code of a refused 5.0 subscription.
      deny_publish_acl: filterLists.optional(),
      deny_subscribe_acl: filterLists.optional(),
      deny_receive_acl: filterLists.optional(),
      acl_file: z.string().min(1).nullable().optional(),
      subscribe_refusal_code: z.union([z.literal(0x80), z.literal(0x87)]).optional(),
    }),
  },
  sys: {
    aliases: ["amqtt.plugins.sys.broker.BrokerSysPlugin", "broker_sys"],
    options: z.strictObject({ sys_interval: z.int().min(0).default(20) }),
  },
} as const;

/** Names of the built-in plugins. */
export type BuiltinPluginName = keyof typeof builtins;

/** Every name (ours and aMQTT's) mapped to our name. */
const byAlias = new Map<string, BuiltinPluginName>();
for (const [name, def] of Object.entries(builtins) as [
  BuiltinPluginName,
  (typeof builtins)[BuiltinPluginName],
][]) {
  byAlias.set(name, name);
  for (const alias of def.aliases) byAlias.set(alias, name);
}

/** aMQTT contrib plugins we know of but do not ship. */
const contribPrefix = "amqtt.contrib.";

function isModuleSpecifier(name: string): boolean {
  return /^(\.\.?\/|\/|file:|npm:|@)/.test(name) || /\.(m?js|ts)$/.test(name);
}

/**
 * Turn one `plugins` entry into a spec, or issues. Accepts our names, aMQTT's
 * dotted class paths and entry-point names, and module specifiers of user plugins.
 */
export function resolvePlugin(
  configuredAs: string,
  rawOptions: unknown,
  path: string,
): PluginSpec | ConfigIssue[] {
  const options = rawOptions ?? {};
  const name = byAlias.get(configuredAs);
  if (name !== undefined) {
    const parsed = builtins[name].options.safeParse(options, { reportInput: true });
    if (!parsed.success) {
      return parsed.error.issues.map((i) => ({
        path: [path, ...i.path.map(String)].join("."),
        message: describeIssue(i),
      }));
    }
    return { name, options: parsed.data as Record<string, unknown>, configuredAs };
  }
  if (isModuleSpecifier(configuredAs)) {
    if (typeof options !== "object" || Array.isArray(options))
      return [{ path, message: "plugin options must be a mapping" }];
    return {
      name: "module",
      specifier: configuredAs,
      options: options as Record<string, unknown>,
      configuredAs,
    };
  }
  if (configuredAs.startsWith(contribPrefix)) {
    return [
      { path, message: `aMQTT contrib plugin "${configuredAs}" is not available in amqtt for TypeScript` },
    ];
  }
  return [
    {
      path,
      message: `unknown plugin "${configuredAs}"; built-in plugins are ${Object.keys(builtins).join(", ")} (or their aMQTT names), and a plugin module is named by a path like "./my-plugin.js"`,
    },
  ];
}

/** A zod issue as one readable sentence, saying what was expected. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}${hyphenHint(issue.keys)}`;
    case "invalid_type":
      return `expected ${issue.expected}${"input" in issue ? `, got ${describeValue(issue.input)}` : ""}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return `must be at least ${String(issue.minimum)}`;
    case "too_big":
      return `must be at most ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

function hyphenHint(keys: readonly string[]): string {
  const hyphenated = keys.filter((k) => k.includes("-"));
  if (hyphenated.length === 0) return "";
  return ` (aMQTT spells these keys with underscores: ${hyphenated.map((k) => `"${k.replaceAll("-", "_")}"`).join(", ")})`;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** True for aMQTT's legacy entry-point names (`auth_file`, `topic_acl`, `broker_sys`, ...). */
export function isEntryPointName(name: string): boolean {
  const ours = byAlias.get(name);
  return ours !== undefined && ours !== name && !name.includes(".");
}

/** Our names for the legacy entry-point names used in `auth.plugins` and `topic-check.plugins`. */
export function legacyPluginName(name: string): BuiltinPluginName | undefined {
  return byAlias.get(name);
}
