import { ClientConfigError } from "../errors.js";
import { eventLoggerPlugin } from "./event-logger.js";
import { packetLoggerPlugin } from "./packet-logger.js";
import type { AnyClientPluginDefinition } from "./types.js";

/** The client's built-in plugins (aMQTT's logging plugins). */
export const builtinClientPlugins: readonly AnyClientPluginDefinition[] = [
  packetLoggerPlugin,
  eventLoggerPlugin,
];

/** A plugin the configuration chose: a definition with checked options, or a module to import. */
export type ClientPluginSpec =
  | { configuredAs: string; definition: AnyClientPluginDefinition; options: Record<string, unknown> }
  | { configuredAs: string; specifier: string; options: Record<string, unknown> };

/** Names of plugin modules, as the broker takes them: paths, file URLs, `npm:` and scoped packages, script files. */
function isModuleSpecifier(name: string): boolean {
  return /^(\.\.?\/|\/|file:|npm:|@)/.test(name) || /\.(m?js|ts)$/.test(name);
}

/** Index the definitions by their names and aliases; two definitions with one name are an error. */
function registryOf(
  definitions: readonly AnyClientPluginDefinition[],
): Map<string, AnyClientPluginDefinition> {
  const registry = new Map<string, AnyClientPluginDefinition>();
  for (const definition of [...builtinClientPlugins, ...definitions]) {
    for (const name of [definition.name, ...definition.aliases]) {
      const other = registry.get(name);
      if (other !== undefined && other !== definition)
        throw new ClientConfigError(
          "plugins",
          `plugin definitions "${other.name}" and "${definition.name}" both use the name "${name}"`,
        );
      registry.set(name, definition);
    }
  }
  return registry;
}

/** aMQTT's spellings of `plugins`: a mapping of name to options, or (legacy) a list of names and one-entry mappings. */
function entriesOf(raw: unknown): [name: string, options: unknown][] {
  if (raw === undefined || raw === null) return [];
  if (Array.isArray(raw)) {
    return raw.flatMap((item, i): [string, unknown][] => {
      if (typeof item === "string") return [[item, {}]];
      if (item !== null && typeof item === "object" && !Array.isArray(item)) return Object.entries(item);
      throw new ClientConfigError(
        `plugins.${i}`,
        "a plugin is a name or a one-entry mapping of name to options",
      );
    });
  }
  if (typeof raw === "object") return Object.entries(raw);
  throw new ClientConfigError("plugins", "must be a mapping of plugin name to options (or a list of names)");
}

/**
 * Resolve the `plugins` key: aMQTT's dotted class names and entry-point names,
 * our short names, the names of `definitions`, and module specifiers.
 * @throws ClientConfigError naming the key of an unknown plugin or a bad option.
 */
export function resolveClientPlugins(
  raw: unknown,
  definitions: readonly AnyClientPluginDefinition[] = [],
): ClientPluginSpec[] {
  const registry = registryOf(definitions);
  return entriesOf(raw).map(([configuredAs, rawOptions]) => {
    const key = `plugins.${configuredAs}`;
    const definition = registry.get(configuredAs);
    if (definition !== undefined) {
      const checked = definition.options(rawOptions);
      if ("issues" in checked) {
        const [first] = checked.issues;
        throw new ClientConfigError(
          first === undefined || first.path === "" ? key : `${key}.${first.path}`,
          checked.issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("; "),
        );
      }
      return { configuredAs, definition, options: checked.options as Record<string, unknown> };
    }
    if (isModuleSpecifier(configuredAs)) {
      const options = rawOptions ?? {};
      if (typeof options !== "object" || Array.isArray(options))
        throw new ClientConfigError(key, "plugin options must be a mapping");
      return { configuredAs, specifier: configuredAs, options: options as Record<string, unknown> };
    }
    const known = [...new Set([...registry.values()].map((d) => d.name))].join(", ");
    throw new ClientConfigError(
      key,
      `unknown client plugin; the client's plugins are ${known} (or their aMQTT names), and a plugin module is named by a path like "./my-plugin.js"`,
    );
  });
}
