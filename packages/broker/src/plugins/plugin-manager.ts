import { type QoS, ReasonCode } from "@amqtt/codec";
import type { EnhancedAuthenticator, PluginEvent, PluginEventArgs } from "../core/plugin-host.js";
import type { Logger } from "../logger.js";
import { PluginLoadError } from "./errors.js";
import { FAILED, isThenable, settleWithin } from "./guard.js";
import { type AuthResult, type AuthzVerdict, combineAuthAnswers, HookCaller } from "./hook-calls.js";
import { describeError, type LoadedPlugin, loadPlugins, type PluginLoadOptions } from "./plugin-loader.js";
import type { BrokerPlugin, ClientInfo, PluginMessage } from "./types.js";

export type { AuthResult, AuthzVerdict };

/** Longest wait for one plugin hook call unless configured, in ms. */
export const DEFAULT_PLUGIN_TIMEOUT_MS = 5000;

/** How the broker builds a plugin manager: what to load ({@link PluginLoadOptions}), where to log, how long to wait. */
export interface PluginManagerOptions extends PluginLoadOptions {
  /** Where hook failures and timeouts are reported. */
  logger: Logger;
  /** Longest wait for one hook call, in ms (default 5000). A late answer counts as no answer. */
  timeoutMs?: number;
}

/** Observe-only events, fired without waiting (the broker's lifecycle included). */
export type PluginEventName = PluginEvent;
export type { PluginEventArgs };

type PolicyHook =
  | "authenticate"
  | "authorizePublish"
  | "authorizeSubscribe"
  | "authorizeReceive"
  | "onPublish";
/** Every hook the manager tracks. */
export type PluginHookName = PolicyHook | PluginEventName;

// A record, so that a hook added to BrokerPlugin and left out here fails to compile.
const hookSet: Record<PluginHookName, true> = {
  authenticate: true,
  authorizePublish: true,
  authorizeSubscribe: true,
  authorizeReceive: true,
  onPublish: true,
  onClientConnected: true,
  onClientDisconnected: true,
  onClientSubscribed: true,
  onClientUnsubscribed: true,
  onMessageReceived: true,
  onMessageBroadcast: true,
  onRetainedMessage: true,
  onPacketReceived: true,
  onPacketSent: true,
  onBrokerPreStart: true,
  onBrokerPostStart: true,
  onBrokerPreShutdown: true,
  onBrokerPostShutdown: true,
};
const hookNames = Object.keys(hookSet) as PluginHookName[];

/** A plugin that can re-read its files on demand (the broker calls it on SIGHUP). */
export interface ReloadablePlugin extends BrokerPlugin {
  reload(): Promise<void>;
}

/** What reloading one plugin's files did: `error` says why it failed (it keeps what it had). */
export interface PluginReloadOutcome {
  plugin: string;
  error?: string;
}

/** The receive check the manager hands the broker. */
export type ReceiveCheck = (
  client: ClientInfo,
  message: PluginMessage,
) => AuthzVerdict | Promise<AuthzVerdict>;

/**
 * Loads the configured plugins and calls their hooks for the broker. Every call
 * is guarded: a hook that throws, rejects or outlives the timeout is logged with
 * the plugin's name and counts as no answer (policy hooks) or is ignored (events).
 *
 * It is the broker core's `PluginHost`. Lifecycle: `await start()` (load, then
 * each plugin's `start`) before the broker starts, `await stop()` (each plugin's
 * `stop`, last first) after it stopped; the broker fires its lifecycle events
 * (`onBrokerPreStart`, ...) through `fire` in between.
 */
export class PluginManager {
  readonly #options: PluginManagerOptions;
  readonly #timeoutMs: number;
  readonly #calls: HookCaller;
  #loaded: LoadedPlugin[] = [];
  #hooks = emptyHooks();
  #loading: Promise<void> | undefined;
  #receive: ReceiveCheck | undefined;

  constructor(options: PluginManagerOptions) {
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS;
    this.#calls = new HookCaller(options.logger, this.#timeoutMs);
  }

  /** Hook calls that outlived the hook timeout so far. */
  get hookTimeouts(): number {
    return this.#calls.timeouts;
  }

  /** The loaded plugins, in call order (empty before `load`). */
  get plugins(): readonly BrokerPlugin[] {
    return this.#loaded.map((l) => l.plugin);
  }

  /** The first plugin handling enhanced authentication `method`, as an authenticator (`PluginHost`). */
  enhancedAuthenticator(method: string): EnhancedAuthenticator | undefined {
    const plugin = this.plugins.find((p) => p.authMethods?.includes(method) && p.authenticateEnhanced);
    return plugin === undefined ? undefined : (client, step) => plugin.authenticateEnhanced!(client, step);
  }

  /** Whether any loaded plugin implements `hook`; lets the broker skip building arguments. */
  has(hook: PluginHookName): boolean {
    return this.#hooks[hook].length > 0;
  }

  /**
   * Create every plugin: built-ins by name, `module` specs by `import()`, then the
   * embedder's. Idempotent. Throws `PluginLoadError` naming the plugin that failed.
   */
  load(): Promise<void> {
    this.#loading ??= this.#loadAll();
    return this.#loading;
  }

  async #loadAll(): Promise<void> {
    const loaded = await loadPlugins(this.#options);
    this.#loaded = loaded;
    const hooks = emptyHooks();
    for (const entry of loaded)
      for (const hook of hookNames) if (typeof entry.plugin[hook] === "function") hooks[hook].push(entry);
    this.#hooks = hooks;
    const receivers = hooks.authorizeReceive;
    this.#receive =
      receivers.length === 0
        ? undefined
        : (client, message) => this.#calls.authorize(receivers, "authorizeReceive", client, message);
  }

  /**
   * Load the plugins and call each one's `start(context)`, in order. A failure or
   * timeout throws `PluginLoadError`: the broker must not run without a plugin it
   * was told to use.
   */
  async start(): Promise<void> {
    await this.load();
    for (const entry of this.#loaded) {
      if (typeof entry.plugin.start !== "function") continue;
      let outcome: unknown;
      try {
        outcome = entry.plugin.start(entry.context);
      } catch (error) {
        throw new PluginLoadError(entry.name, "start", describeError(error), { cause: error });
      }
      if (isThenable(outcome)) {
        let failure: unknown;
        const settled = await settleWithin(outcome, this.#timeoutMs, entry.name, "start", (error) => {
          failure = error;
        });
        if (settled === FAILED)
          throw new PluginLoadError(entry.name, "start", describeError(failure), { cause: failure });
      }
    }
  }

  /** Call each plugin's `stop`, last loaded first. Failures are logged; never throws. */
  async stop(): Promise<void> {
    for (const entry of [...this.#loaded].reverse()) {
      if (typeof entry.plugin.stop !== "function") continue;
      await this.#calls.call(entry, "stop");
    }
  }

  /**
   * Ask every plugin that can (`reload()`, e.g. file-auth, topic-acl) to re-read
   * its files, in order. A failure (the plugin keeps what it had) is logged and
   * reported with its reason; never throws.
   */
  async reload(): Promise<PluginReloadOutcome[]> {
    const outcomes: PluginReloadOutcome[] = [];
    for (const entry of this.#loaded) {
      const plugin = entry.plugin as Partial<ReloadablePlugin>;
      if (typeof plugin.reload !== "function") continue;
      let failure: unknown;
      let settled: unknown;
      try {
        settled = await settleWithin(plugin.reload(), this.#timeoutMs, entry.name, "reload", (error) => {
          failure = error;
        });
      } catch (error) {
        settled = FAILED;
        failure = error;
      }
      if (settled === FAILED) {
        const error = describeError(failure);
        this.#options.logger.error(`plugin ${entry.name}: reload failed, it keeps what it had`, { error });
        outcomes.push({ plugin: entry.name, error });
      } else outcomes.push({ plugin: entry.name });
    }
    return outcomes;
  }

  /**
   * aMQTT's rule: accepted iff at least one plugin accepted and none refused.
   * Plugins are asked in parallel. With no authentication plugin at all every
   * client is refused, as aMQTT does. A refusal without a code is 0x87 Not authorized.
   * Synchronous when every plugin answers synchronously (`anonymous-auth`, a
   * password file): no promise and no microtask hop per CONNECT (issue 19).
   */
  authenticate(client: ClientInfo): AuthResult | Promise<AuthResult> {
    const entries = this.#hooks.authenticate;
    if (entries.length === 0)
      return {
        accepted: false,
        reasonCode: ReasonCode.NOT_AUTHORIZED,
        reasonString: "no authentication plugin",
      };
    const answers: unknown[] = [];
    let waits = false;
    for (const entry of entries) {
      const answer = this.#calls.call(entry, "authenticate", client);
      if (isThenable(answer)) waits = true;
      answers.push(answer);
    }
    return waits ? Promise.all(answers).then(combineAuthAnswers) : combineAuthAnswers(answers);
  }

  /** May `client` publish `message`? Deny wins; no answer from anyone allows. */
  authorizePublish(client: ClientInfo, message: PluginMessage): AuthzVerdict | Promise<AuthzVerdict> {
    const entries = this.#hooks.authorizePublish;
    return entries.length === 0 ? true : this.#calls.authorize(entries, "authorizePublish", client, message);
  }

  /** May `client` subscribe to `filter`? A number is the SUBACK reason code to give (5.0). */
  authorizeSubscribe(client: ClientInfo, filter: string, qos: QoS): AuthzVerdict | Promise<AuthzVerdict> {
    const entries = this.#hooks.authorizeSubscribe;
    return entries.length === 0
      ? true
      : this.#calls.authorize(entries, "authorizeSubscribe", client, filter, qos);
  }

  /**
   * May `client` receive `message`? On the delivery path, so: `undefined` when no
   * plugin implements it (the broker skips the call: no promise, no allocation),
   * and a function that answers synchronously when every implementation does.
   */
  get authorizeReceive(): ReceiveCheck | undefined {
    return this.#receive;
  }

  /**
   * Let each plugin change the message in turn; `null` drops it and stops the
   * chain. A failed hook leaves the message as it was. Synchronous when every
   * `onPublish` answers synchronously.
   */
  onPublish(
    client: ClientInfo | undefined,
    message: PluginMessage,
  ): PluginMessage | null | Promise<PluginMessage | null> {
    const entries = this.#hooks.onPublish;
    return entries.length === 0 ? message : this.#calls.chain(entries, 0, client, message);
  }

  /**
   * Fire an observe-only event at every plugin that listens, without waiting.
   * Failures and timeouts are logged and otherwise ignored.
   */
  fire<E extends PluginEventName>(event: E, ...args: PluginEventArgs<E>): void;
  // Fixed parameters behind the typed signature: a rest array per call cost an
  // allocation on the hot path (three or four events per routed message).
  fire(event: PluginEventName, a?: unknown, b?: unknown, c?: unknown): void {
    const entries = this.#hooks[event];
    if (entries.length === 0) return;
    for (const entry of entries) this.#calls.call(entry, event, a, b, c);
  }
}

function emptyHooks(): Record<PluginHookName, LoadedPlugin[]> {
  const hooks = {} as Record<PluginHookName, LoadedPlugin[]>;
  for (const hook of hookNames) hooks[hook] = [];
  return hooks;
}
