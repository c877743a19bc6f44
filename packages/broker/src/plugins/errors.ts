/** What went wrong while bringing a plugin up. */
export type PluginLoadPhase = "import" | "create" | "start";

/**
 * A plugin could not be imported, created or started. The broker does not start
 * with a plugin it was told to load but could not (the configuration would not
 * mean what it says). `plugin` is the name the configuration used.
 */
export class PluginLoadError extends Error {
  override name = "PluginLoadError";
  /** The plugin as the configuration named it. */
  readonly plugin: string;
  /** Whether importing the module, calling its factory or its `start` failed. */
  readonly phase: PluginLoadPhase;
  constructor(plugin: string, phase: PluginLoadPhase, message: string, options?: { cause?: unknown }) {
    super(`plugin "${plugin}": ${message}`, options);
    this.plugin = plugin;
    this.phase = phase;
  }
}

/** A hook did not answer within the manager's timeout. */
export class PluginTimeoutError extends Error {
  override name = "PluginTimeoutError";
  constructor(plugin: string, hook: string, ms: number) {
    super(`plugin "${plugin}": ${hook} did not answer within ${ms} ms`);
  }
}
