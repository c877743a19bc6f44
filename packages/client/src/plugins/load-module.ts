import { isNode, nodeEntry } from "../node-entry.js";

/**
 * Import a client plugin module named in the configuration and give its default
 * export. In Node, paths start from the working directory (see `pluginModuleUrl`
 * of `@amqtt/client/node`); in a browser the name is a URL for `import()`.
 */
export async function importPluginModule(specifier: string): Promise<unknown> {
  const url = isNode() ? (await nodeEntry()).pluginModuleUrl(specifier) : specifier;
  const loaded = (await import(/* @vite-ignore */ url)) as { default?: unknown };
  return loaded.default;
}
