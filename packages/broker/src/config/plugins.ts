import { ReasonCode } from "@amqtt/codec";
import type { z } from "zod";
import type {
  AnyPluginDefinition,
  PluginOptionsSchema,
  PluginValidation,
  PluginValidationContext,
} from "../plugins/definition.js";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { lazySchema, type Zod } from "./zod.js";

/** A plugin chosen by the configuration, with its validated options. */
export interface PluginSpec {
  /**
   * Our name for a built-in plugin (`anonymous-auth`, ...), `module` for user
   * code, or the name of a registered definition (then `definition` is set).
   */
  name: BuiltinPluginName | "module" | (string & {});
  /** The registered definition (a contrib package's plugin) that builds it. */
  definition?: AnyPluginDefinition;
  /** For `module`: the import specifier of the user's plugin module. */
  specifier?: string;
  /** Options as written (snake_case, like aMQTT's), validated for built-ins. */
  options: Record<string, unknown>;
  /** The name the configuration used, for messages (e.g. aMQTT's dotted class path). */
  configuredAs: string;
}

const filterLists = (z: Zod) => z.record(z.string(), z.array(z.string()).nullable()).nullable();

/**
 * Defaults of the built-in plugins' options: zod applies them to a validated
 * configuration, `resolvePlugin` with `trusted` applies them without it.
 */
const optionDefaults = {
  "anonymous-auth": { allow_anonymous: true },
  sys: { sys_interval: 20 },
} as const;

/** Built-in plugins: our name, aMQTT's names for it, and its options (schemas built on first use). */
const builtins = {
  "event-logger": {
    aliases: [
      "amqtt.plugins.logging_amqtt.EventLoggerPlugin",
      "amqtt.plugins.logging.EventLoggerPlugin",
      "event_logger_plugin",
    ],
    options: lazySchema((z) => z.strictObject({})),
  },
  "packet-logger": {
    aliases: [
      "amqtt.plugins.logging_amqtt.PacketLoggerPlugin",
      "amqtt.plugins.logging.PacketLoggerPlugin",
      "packet_logger_plugin",
    ],
    options: lazySchema((z) => z.strictObject({})),
  },
  "anonymous-auth": {
    aliases: ["amqtt.plugins.authentication.AnonymousAuthPlugin", "auth_anonymous"],
    options: lazySchema((z) =>
      z.strictObject({
        allow_anonymous: z.boolean().default(optionDefaults["anonymous-auth"].allow_anonymous),
      }),
    ),
  },
  "file-auth": {
    aliases: ["amqtt.plugins.authentication.FileAuthPlugin", "auth_file"],
    // Without a file the plugin abstains and the broker warns, as aMQTT's does.
    options: lazySchema((z) => z.strictObject({ password_file: z.string().min(1).nullable().optional() })),
  },
  "cert-auth": {
    aliases: ["amqtt.contrib.cert.UserAuthCertPlugin"],
    // The SPIFFE trust domain of the device certificates: spiffe://<uri_domain>/device/<client id>.
    options: lazySchema((z) => z.strictObject({ uri_domain: z.string().min(1) })),
  },
  "topic-taboo": {
    aliases: ["amqtt.plugins.topic_checking.TopicTabooPlugin", "topic_taboo"],
    options: lazySchema((z) => z.strictObject({})),
  },
  "topic-acl": {
    aliases: ["amqtt.plugins.topic_checking.TopicAccessControlListPlugin", "topic_acl"],
    // aMQTT's plugin style only loads `acl` and `publish_acl` (QUIRK); all four work here.
    options: lazySchema((z) =>
      z.strictObject({
        acl: filterLists(z).optional(),
        publish_acl: filterLists(z).optional(),
        subscribe_acl: filterLists(z).optional(),
        receive_acl: filterLists(z).optional(),
        // Ours: deny rules (deny wins), Mosquitto's acl_file, and the SUBACK code of a refused 5.0 subscription.
        deny_publish_acl: filterLists(z).optional(),
        deny_subscribe_acl: filterLists(z).optional(),
        deny_receive_acl: filterLists(z).optional(),
        acl_file: z.string().min(1).nullable().optional(),
        subscribe_refusal_code: z
          .union([z.literal(ReasonCode.UNSPECIFIED_ERROR), z.literal(ReasonCode.NOT_AUTHORIZED)])
          .optional(),
      }),
    ),
  },
  sys: {
    aliases: ["amqtt.plugins.sys.broker.BrokerSysPlugin", "broker_sys"],
    options: lazySchema((z) =>
      z.strictObject({ sys_interval: z.int().min(0).default(optionDefaults.sys.sys_interval) }),
    ),
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

/** aMQTT contrib plugins by dotted class name: the package of ours that provides each. */
const contribPackages: Readonly<Record<string, string>> = {
  "amqtt.contrib.http.UserAuthHttpPlugin": "@amqtt/contrib-http",
  "amqtt.contrib.http.TopicAuthHttpPlugin": "@amqtt/contrib-http",
  "amqtt.contrib.jwt.UserAuthJwtPlugin": "@amqtt/contrib-jwt",
  "amqtt.contrib.jwt.TopicAuthJwtPlugin": "@amqtt/contrib-jwt",
  "amqtt.contrib.ldap.UserAuthLdapPlugin": "@amqtt/contrib-ldap",
  "amqtt.contrib.ldap.TopicAuthLdapPlugin": "@amqtt/contrib-ldap",
  "amqtt.contrib.auth_db.UserAuthDBPlugin": "@amqtt/contrib-auth-db",
  "amqtt.contrib.auth_db.TopicAuthDBPlugin": "@amqtt/contrib-auth-db",
  "amqtt.contrib.shadows.ShadowPlugin": "@amqtt/contrib-shadows",
  "amqtt.contrib.shadows.ShadowTopicAuthPlugin": "@amqtt/contrib-shadows",
};

/**
 * aMQTT's Django plugins run inside a Python web framework and cannot run here;
 * each name maps to the plugins of ours that do the same job.
 */
const djangoReplacements: Readonly<Record<string, string>> = {
  "amqtt.contrib.django.plugins.DjangoAuthPlugin":
    "the database plugin (amqtt.contrib.auth_db.UserAuthDBPlugin, @amqtt/contrib-auth-db) over the same database, or the HTTP plugin (amqtt.contrib.http.UserAuthHttpPlugin, @amqtt/contrib-http) calling a view of the Django site",
  "amqtt.contrib.django.plugins.UserTopicACLPlugin":
    "the database topic plugin (amqtt.contrib.auth_db.TopicAuthDBPlugin, @amqtt/contrib-auth-db), the HTTP topic plugin (amqtt.contrib.http.TopicAuthHttpPlugin, @amqtt/contrib-http), or topic-acl with %u/%c patterns (e.g. users/%u/#)",
};

const contribPrefix = "amqtt.contrib.";
const djangoPrefix = "amqtt.contrib.django.";

/** Registered plugin definitions by every name they answer to (ours and aMQTT's). */
export type PluginRegistry = ReadonlyMap<string, AnyPluginDefinition>;

/**
 * Index definitions by name and alias. A name that clashes with a built-in or
 * with another definition is a configuration error (two plugins, one name).
 */
export function pluginRegistry(definitions: readonly AnyPluginDefinition[] = []): PluginRegistry {
  const registry = new Map<string, AnyPluginDefinition>();
  const issues: ConfigIssue[] = [];
  for (const definition of definitions) {
    for (const name of [definition.name, ...definition.aliases]) {
      const other = registry.get(name);
      if (byAlias.has(name))
        issues.push({
          path: "",
          message: `plugin definition "${definition.name}" uses the built-in name "${name}"`,
        });
      else if (other !== undefined && other !== definition)
        issues.push({
          path: "",
          message: `plugin definitions "${other.name}" and "${definition.name}" both use the name "${name}"`,
        });
      else registry.set(name, definition);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return registry;
}

function isModuleSpecifier(name: string): boolean {
  return /^(\.\.?\/|\/|file:|npm:|@)/.test(name) || /\.(m?js|ts)$/.test(name);
}

/**
 * Turn one `plugins` entry into a spec, or issues. Accepts our names, aMQTT's
 * dotted class paths and entry-point names, the names of registered definitions,
 * and module specifiers of user plugins. `trusted` options (built by code, see
 * `ResolveOptions.trusted`) of a built-in plugin get its defaults without a schema pass.
 */
export function resolvePlugin(
  configuredAs: string,
  rawOptions: unknown,
  path: string,
  registry: PluginRegistry = new Map(),
  context: PluginValidationContext = { baseDir: process.cwd() },
  trusted = false,
): PluginSpec | ConfigIssue[] {
  const options = rawOptions ?? {};
  const name = byAlias.get(configuredAs);
  if (name !== undefined && trusted)
    return {
      name,
      options: { ...(optionDefaults as Partial<Record<string, object>>)[name], ...(options as object) },
      configuredAs,
    };
  if (name !== undefined) {
    const parsed = builtins[name].options().safeParse(options, { reportInput: true });
    if (!parsed.success) {
      return parsed.error.issues.map((i) => ({
        path: [path, ...i.path.map(String)].join("."),
        message: describeIssue(i),
      }));
    }
    return { name, options: parsed.data as Record<string, unknown>, configuredAs };
  }
  const definition = registry.get(configuredAs);
  if (definition !== undefined) {
    const validated = validatePluginOptions(definition, options, path, context);
    if (Array.isArray(validated)) return validated;
    return {
      name: definition.name,
      definition,
      options: validated.options as Record<string, unknown>,
      configuredAs,
    };
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
  const replacement = djangoReplacements[configuredAs];
  if (replacement !== undefined || configuredAs.startsWith(djangoPrefix)) {
    return [
      {
        path,
        message: `aMQTT's Django plugin "${configuredAs}" needs a Python web framework and cannot run in amqtt for TypeScript; use ${replacement ?? "the database (@amqtt/contrib-auth-db) or HTTP (@amqtt/contrib-http) plugins"} instead`,
      },
    ];
  }
  const pkg = contribPackages[configuredAs];
  if (pkg !== undefined) {
    return [
      {
        path,
        message: `aMQTT contrib plugin "${configuredAs}" is provided by ${pkg}, which is not registered: the amqtt command registers it when installed; in code, pass its definitions (new Broker(config, { pluginDefinitions }))`,
      },
    ];
  }
  if (configuredAs.startsWith(contribPrefix)) {
    return [
      { path, message: `aMQTT contrib plugin "${configuredAs}" is not available in amqtt for TypeScript` },
    ];
  }
  return [
    {
      path,
      message: `unknown plugin "${configuredAs}"; built-in plugins are ${Object.keys(builtins).join(", ")} (or their aMQTT names)${registry.size > 0 ? `, registered plugins are ${[...new Set([...registry.values()].map((d) => d.name))].join(", ")}` : ""}, and a plugin module is named by a path like "./my-plugin.js"`,
    },
  ];
}

/**
 * Validate the options of a registered definition; issue paths are prefixed
 * with `path` (the key path of the plugin in the configuration).
 */
export function validatePluginOptions(
  definition: AnyPluginDefinition,
  raw: unknown,
  path: string,
  context: PluginValidationContext,
): { options: unknown } | ConfigIssue[] {
  const prefix = (inner: string) => (inner === "" ? path : `${path}.${inner}`);
  const check = definition.options as
    | PluginOptionsSchema<unknown>
    | ((raw: unknown, context: PluginValidationContext) => PluginValidation<unknown>);
  if (typeof check === "function") {
    const result = check(raw, context);
    if ("issues" in result) return result.issues.map((i) => ({ path: prefix(i.path), message: i.message }));
    return { options: result.options };
  }
  const parsed = check.safeParse(raw);
  if (parsed.success) return { options: parsed.data };
  return (parsed.error?.issues ?? [{ path: [], message: "invalid options" }]).map((i) => ({
    path: prefix(i.path.map(String).join(".")),
    // A zod issue reads as our other config messages do.
    message: "code" in i ? describeIssue(i as z.core.$ZodIssue) : i.message,
  }));
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
