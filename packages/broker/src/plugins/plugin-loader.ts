import type { BuiltinPluginName, PluginSpec } from "../config/plugins.js";
import { builtinPluginFactories } from "./builtins.js";
import { PluginLoadError } from "./errors.js";
import { importPluginModule } from "./load-module.js";
import type { BrokerPlugin, PluginContext, PluginFactory } from "./types.js";

/** What {@link loadPlugins} creates the plugins from. */
export interface PluginLoadOptions {
  /** Plugins chosen by the configuration, in order. */
  specs?: readonly PluginSpec[];
  /** Plugins given in code by an embedder, after the configured ones. */
  plugins?: readonly (BrokerPlugin | PluginFactory)[];
  /** Builds each plugin's context (its options, a logger named after it, publish, stats). */
  createContext(pluginName: string, options: Readonly<Record<string, unknown>>): PluginContext;
  /** Folder that relative plugin module paths start from (the config file's; default: the working directory). */
  baseDir?: string;
}

/** A created plugin with the name it is logged by and the context it starts with. */
export interface LoadedPlugin {
  readonly name: string;
  readonly plugin: BrokerPlugin;
  readonly context: PluginContext;
}

/**
 * Create every plugin, in call order: configured ones (a registered definition,
 * a `module` spec by `import()`, or a built-in by name), then the embedder's.
 * Throws `PluginLoadError` naming the plugin that failed.
 */
export async function loadPlugins(options: PluginLoadOptions): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const spec of options.specs ?? []) {
    const context = options.createContext(spec.configuredAs, spec.options);
    let made: PluginFactory | BrokerPlugin;
    const definition = spec.definition;
    if (definition !== undefined) {
      made = (ctx) => definition.create(spec.options as never, ctx);
    } else if (spec.name === "module") {
      if (spec.specifier === undefined)
        throw new PluginLoadError(spec.configuredAs, "import", "a module plugin needs a specifier");
      made = await importPluginModule(spec.configuredAs, spec.specifier, options.baseDir ?? process.cwd());
    } else {
      made = builtinPluginFactories[spec.name as BuiltinPluginName];
    }
    loaded.push(await instantiate(spec.configuredAs, made, context));
  }
  for (const made of options.plugins ?? []) {
    const name = typeof made === "function" ? made.name || "anonymous plugin" : made.name;
    const context = options.createContext(name, {});
    loaded.push(await instantiate(name, made, context));
  }
  return loaded;
}

async function instantiate(
  configuredAs: string,
  made: PluginFactory | BrokerPlugin,
  context: PluginContext,
): Promise<LoadedPlugin> {
  if (typeof made !== "function") return { name: made.name ?? configuredAs, plugin: made, context };
  let plugin: unknown;
  try {
    plugin = await made(context);
  } catch (error) {
    throw new PluginLoadError(configuredAs, "create", `its factory threw: ${describeError(error)}`, {
      cause: error,
    });
  }
  if (plugin === null || typeof plugin !== "object")
    throw new PluginLoadError(configuredAs, "create", "its factory did not return a plugin object");
  return { name: configuredAs, plugin: plugin as BrokerPlugin, context };
}

/** An error's message, or the thrown value as text. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
