import type { ConfigIssue } from "../config/errors.js";
import type { BrokerPlugin, PluginContext } from "./types.js";

/** What a definition's `validate` gets besides the options as written. */
export interface PluginValidationContext {
  /** Folder that relative file paths in the options start from (the config file's). */
  readonly baseDir: string;
}

/** A schema with zod's `safeParse` shape (a zod schema from any zod copy fits). */
export interface PluginOptionsSchema<O> {
  safeParse(input: unknown): {
    success: boolean;
    data?: O;
    error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] };
  };
}

/** The answer of a `validate` function: typed options, or issues with key paths inside the options. */
export type PluginValidation<O> = { options: O } | { issues: ConfigIssue[] };

/**
 * A plugin a package provides (e.g. `@amqtt/contrib-http`), registered with the
 * broker and the config resolver so a configuration can name it by our short
 * name or by aMQTT's dotted class name.
 */
export interface PluginDefinition<O = unknown> {
  /** Our short name (`http-auth`). */
  readonly name: string;
  /** aMQTT's dotted class names for it (`amqtt.contrib.http.UserAuthHttpPlugin`). */
  readonly aliases: readonly string[];
  /** Its options: a zod schema, or a function returning typed options or config issues. */
  readonly options:
    | PluginOptionsSchema<O>
    | ((raw: unknown, context: PluginValidationContext) => PluginValidation<O>);
  /** True when it authenticates clients (so the broker does not warn that nothing does). */
  readonly authenticates?: boolean;
  /** Build the plugin from its validated options. */
  create(options: O, context: PluginContext): BrokerPlugin | Promise<BrokerPlugin>;
}

/** A definition with its option type erased, as registries hold it. */
export type AnyPluginDefinition = PluginDefinition<never>;

/** Type a definition where it is written and erase the option type for registries. */
export function definePlugin<O>(definition: PluginDefinition<O>): AnyPluginDefinition {
  return definition as unknown as AnyPluginDefinition;
}

/**
 * A definition's `options` function built from a schema and a second step:
 * `raw` is parsed with `schema` (its issues become config issues at their key
 * paths), then `finish` turns the parsed value into the plugin's options, or
 * issues (files that do not exist, fields that exclude each other, ...).
 *
 * @example
 * ```ts
 * options: optionsValidator(schema, (parsed, { baseDir }) => ({ file: resolve(baseDir, parsed.file) })),
 * ```
 */
export function optionsValidator<P, O>(
  schema: PluginOptionsSchema<P>,
  finish: (parsed: P, context: PluginValidationContext) => O | ConfigIssue[],
): (raw: unknown, context: PluginValidationContext) => PluginValidation<O> {
  return (raw, context) => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success)
      return {
        issues: (parsed.error?.issues ?? [{ path: [], message: "invalid options" }]).map((i) => ({
          path: i.path.map(String).join("."),
          message: i.message,
        })),
      };
    const result = finish(parsed.data as P, context);
    return Array.isArray(result) ? { issues: result } : { options: result };
  };
}
