// Over 400 lines: every hook of the plugin contract is combined here, next to the guard that times each call; splitting would scatter the combining rules.
import { isFailure, type QoS, ReasonCode } from "@amqtt/codec";
import type { BuiltinPluginName, PluginSpec } from "../config/plugins.js";
import type { EnhancedAuthenticator, PluginEvent, PluginEventArgs } from "../core/plugin-host.js";
import type { Logger } from "../logger.js";
import { builtinPluginFactories } from "./builtins.js";
import { PluginLoadError } from "./errors.js";
import { FAILED, type Failed, isThenable, logHookFailure, settleWithin } from "./guard.js";
import { importPluginModule } from "./load-module.js";
import type {
  AuthAnswer,
  AuthzAnswer,
  BrokerPlugin,
  ClientInfo,
  PluginContext,
  PluginFactory,
  PluginMessage,
} from "./types.js";

/** Longest wait for one plugin hook call unless configured, in ms. */
export const DEFAULT_PLUGIN_TIMEOUT_MS = 5000;

/** How the broker builds a plugin manager. */
export interface PluginManagerOptions {
  /** Plugins chosen by the configuration, in order. */
  specs?: readonly PluginSpec[];
  /** Plugins given in code by an embedder, after the configured ones. */
  plugins?: readonly (BrokerPlugin | PluginFactory)[];
  /** Where hook failures and timeouts are reported. */
  logger: Logger;
  /** Builds each plugin's context (its options, a logger named after it, publish, stats). */
  createContext(pluginName: string, options: Readonly<Record<string, unknown>>): PluginContext;
  /** Longest wait for one hook call, in ms (default 5000). A late answer counts as no answer. */
  timeoutMs?: number;
  /** Folder that relative plugin module paths start from (the config file's; default: the working directory). */
  baseDir?: string;
}

/** The combined answer of the authentication plugins. */
export type AuthResult =
  | { accepted: true }
  /** `reasonCode` is a 5.0 CONNACK code; the broker maps it to a 3.1.1 return code. */
  | { accepted: false; reasonCode: number; reasonString?: string; serverReference?: string };

/**
 * The combined answer of the authorization plugins: `true` allowed, `false`
 * denied, a number denied with that 5.0 reason code.
 */
export type AuthzVerdict = boolean | number;

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

interface LoadedPlugin {
  readonly name: string;
  readonly plugin: BrokerPlugin;
  readonly context: PluginContext;
}

/** The receive check the manager hands the broker. */
export type ReceiveCheck = (
  client: ClientInfo,
  message: PluginMessage,
) => AuthzVerdict | Promise<AuthzVerdict>;

type AnyHook = (this: BrokerPlugin, a?: unknown, b?: unknown, c?: unknown) => unknown;

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
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  #loaded: LoadedPlugin[] = [];
  #hooks = emptyHooks();
  #loading: Promise<void> | undefined;
  #receive: ReceiveCheck | undefined;

  constructor(options: PluginManagerOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS;
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
    const loaded: LoadedPlugin[] = [];
    for (const spec of this.#options.specs ?? []) {
      const context = this.#options.createContext(spec.configuredAs, spec.options);
      let made: PluginFactory | BrokerPlugin;
      const definition = spec.definition;
      if (definition !== undefined) {
        made = (ctx) => definition.create(spec.options as never, ctx);
      } else if (spec.name === "module") {
        if (spec.specifier === undefined)
          throw new PluginLoadError(spec.configuredAs, "import", "a module plugin needs a specifier");
        made = await importPluginModule(
          spec.configuredAs,
          spec.specifier,
          this.#options.baseDir ?? process.cwd(),
        );
      } else {
        made = builtinPluginFactories[spec.name as BuiltinPluginName];
      }
      loaded.push(await this.#instantiate(spec.configuredAs, made, context));
    }
    for (const made of this.#options.plugins ?? []) {
      const name = typeof made === "function" ? made.name || "anonymous plugin" : made.name;
      const context = this.#options.createContext(name, {});
      loaded.push(await this.#instantiate(name, made, context));
    }
    this.#loaded = loaded;
    const hooks = emptyHooks();
    for (const entry of loaded)
      for (const hook of hookNames) if (typeof entry.plugin[hook] === "function") hooks[hook].push(entry);
    this.#hooks = hooks;
    const receivers = hooks.authorizeReceive;
    this.#receive =
      receivers.length === 0
        ? undefined
        : (client, message) => this.#authorize(receivers, "authorizeReceive", client, message);
  }

  async #instantiate(
    configuredAs: string,
    made: PluginFactory | BrokerPlugin,
    context: PluginContext,
  ): Promise<LoadedPlugin> {
    if (typeof made !== "function") return { name: made.name ?? configuredAs, plugin: made, context };
    let plugin: unknown;
    try {
      plugin = await made(context);
    } catch (error) {
      throw new PluginLoadError(configuredAs, "create", `its factory threw: ${describe(error)}`, {
        cause: error,
      });
    }
    if (plugin === null || typeof plugin !== "object")
      throw new PluginLoadError(configuredAs, "create", "its factory did not return a plugin object");
    return { name: configuredAs, plugin: plugin as BrokerPlugin, context };
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
        throw new PluginLoadError(entry.name, "start", describe(error), { cause: error });
      }
      if (isThenable(outcome)) {
        let failure: unknown;
        const settled = await settleWithin(outcome, this.#timeoutMs, entry.name, "start", (error) => {
          failure = error;
        });
        if (settled === FAILED)
          throw new PluginLoadError(entry.name, "start", describe(failure), { cause: failure });
      }
    }
  }

  /** Call each plugin's `stop`, last loaded first. Failures are logged; never throws. */
  async stop(): Promise<void> {
    for (const entry of [...this.#loaded].reverse()) {
      if (typeof entry.plugin.stop !== "function") continue;
      await this.#call(entry, "stop");
    }
  }

  /** Ask every plugin that can (`reload()`, e.g. file-auth) to re-read its files. Failures are logged. */
  async reload(): Promise<void> {
    for (const entry of this.#loaded) {
      const plugin = entry.plugin as Partial<ReloadablePlugin>;
      if (typeof plugin.reload === "function") await this.#call(entry, "reload");
    }
  }

  /** Call a hook, waiting at most the timeout; `FAILED` when it threw, rejected or timed out. */
  #call(
    entry: LoadedPlugin,
    hook: string,
    a?: unknown,
    b?: unknown,
    c?: unknown,
  ): unknown | Promise<unknown> {
    let result: unknown;
    try {
      result = ((entry.plugin as unknown as Record<string, AnyHook>)[hook] as AnyHook).call(
        entry.plugin,
        a,
        b,
        c,
      );
    } catch (error) {
      logHookFailure(this.#logger, entry.name, hook, error);
      return FAILED;
    }
    return isThenable(result) ? this.#settle(entry, hook, result) : result;
  }

  #settle<T>(entry: LoadedPlugin, hook: string, pending: PromiseLike<T>): Promise<T | Failed> {
    return settleWithin(pending, this.#timeoutMs, entry.name, hook, (error) =>
      logHookFailure(this.#logger, entry.name, hook, error),
    );
  }

  /**
   * aMQTT's rule: accepted iff at least one plugin accepted and none refused.
   * Plugins are asked in parallel. With no authentication plugin at all every
   * client is refused, as aMQTT does. A refusal without a code is 0x87 Not authorized.
   */
  async authenticate(client: ClientInfo): Promise<AuthResult> {
    const entries = this.#hooks.authenticate;
    if (entries.length === 0)
      return {
        accepted: false,
        reasonCode: ReasonCode.NOT_AUTHORIZED,
        reasonString: "no authentication plugin",
      };
    const answers = await Promise.all(entries.map((e) => this.#call(e, "authenticate", client)));
    let accepted = false;
    let refused = false;
    let coded: AuthResult | undefined;
    for (const answer of answers as (AuthAnswer | Failed)[]) {
      if (answer === true) accepted = true;
      else if (answer === false) refused = true;
      else if (answer !== null && typeof answer === "object" && typeof answer.refuse === "number") {
        // The first refusal with a code gives the CONNACK its code: it says more than a bare `false`.
        if (coded === undefined) {
          coded = { accepted: false, reasonCode: answer.refuse };
          if (answer.reason !== undefined) coded.reasonString = answer.reason;
          if (answer.serverReference !== undefined) coded.serverReference = answer.serverReference;
        }
      }
      // undefined, null, FAILED and anything else: no answer.
    }
    if (coded !== undefined) return coded;
    if (refused) return { accepted: false, reasonCode: ReasonCode.NOT_AUTHORIZED };
    return accepted
      ? { accepted: true }
      : {
          accepted: false,
          reasonCode: ReasonCode.NOT_AUTHORIZED,
          reasonString: "no plugin accepted the client",
        };
  }

  /** May `client` publish `message`? Deny wins; no answer from anyone allows. */
  authorizePublish(client: ClientInfo, message: PluginMessage): AuthzVerdict | Promise<AuthzVerdict> {
    const entries = this.#hooks.authorizePublish;
    return entries.length === 0 ? true : this.#authorize(entries, "authorizePublish", client, message);
  }

  /** May `client` subscribe to `filter`? A number is the SUBACK reason code to give (5.0). */
  authorizeSubscribe(client: ClientInfo, filter: string, qos: QoS): AuthzVerdict | Promise<AuthzVerdict> {
    const entries = this.#hooks.authorizeSubscribe;
    return entries.length === 0 ? true : this.#authorize(entries, "authorizeSubscribe", client, filter, qos);
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
   * Combine authorization answers: the first denial decides (a number denies
   * with that code); `undefined` and `null` are no answer (aMQTT's docs; its code
   * denies on `None`, a QUIRK not copied); a failed hook is no answer.
   */
  #authorize(
    entries: readonly LoadedPlugin[],
    hook: PolicyHook,
    a: unknown,
    b: unknown,
    c?: unknown,
  ): AuthzVerdict | Promise<AuthzVerdict> {
    let pending: Promise<unknown>[] | undefined;
    for (const entry of entries) {
      let answer: unknown;
      try {
        answer = ((entry.plugin as unknown as Record<string, AnyHook>)[hook] as AnyHook).call(
          entry.plugin,
          a,
          b,
          c,
        );
      } catch (error) {
        logHookFailure(this.#logger, entry.name, hook, error);
        continue;
      }
      if (isThenable(answer)) {
        pending ??= [];
        pending.push(this.#settle(entry, hook, answer));
        continue;
      }
      const denial = asDenial(answer as AuthzAnswer);
      if (denial !== undefined) return denial;
    }
    if (pending === undefined) return true;
    return Promise.all(pending).then((answers) => {
      for (const answer of answers) {
        const denial = answer === FAILED ? undefined : asDenial(answer as AuthzAnswer);
        if (denial !== undefined) return denial;
      }
      return true;
    });
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
    return entries.length === 0 ? message : this.#chain(entries, 0, client, message);
  }

  #chain(
    entries: readonly LoadedPlugin[],
    from: number,
    client: ClientInfo | undefined,
    message: PluginMessage,
  ): PluginMessage | null | Promise<PluginMessage | null> {
    let current = message;
    for (let i = from; i < entries.length; i++) {
      const entry = entries[i]!;
      const answer = this.#call(entry, "onPublish", client, current);
      if (isThenable(answer)) {
        return (answer as Promise<unknown>).then((settled) => {
          const next = nextMessage(current, settled);
          return next === null ? null : this.#chain(entries, i + 1, client, next);
        });
      }
      const next = nextMessage(current, answer);
      if (next === null) return null;
      current = next;
    }
    return current;
  }

  /**
   * Fire an observe-only event at every plugin that listens, without waiting.
   * Failures and timeouts are logged and otherwise ignored.
   */
  fire<E extends PluginEventName>(event: E, ...args: PluginEventArgs<E>): void {
    const entries = this.#hooks[event];
    if (entries.length === 0) return;
    const [a, b, c] = args as unknown[];
    for (const entry of entries) this.#call(entry, event, a, b, c);
  }
}

function emptyHooks(): Record<PluginHookName, LoadedPlugin[]> {
  const hooks = {} as Record<PluginHookName, LoadedPlugin[]>;
  for (const hook of hookNames) hooks[hook] = [];
  return hooks;
}

/** `false` or a code when `answer` denies, `undefined` when it allows or abstains. */
function asDenial(answer: AuthzAnswer): false | number | undefined {
  if (answer === false) return false;
  if (typeof answer === "number") return isFailure(answer) && answer <= 0xff ? answer : false;
  return undefined;
}

function nextMessage(current: PluginMessage, answer: unknown): PluginMessage | null {
  if (answer === null) return null;
  if (answer === FAILED || answer === undefined || typeof answer !== "object") return current;
  return answer as PluginMessage;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
