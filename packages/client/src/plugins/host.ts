import { Decoder, type Packet, type ProtocolVersion } from "@amqtt/codec";
import { ClientPluginError } from "../errors.js";
import type { ClientEvents } from "../events.js";
import { type ClientLogger, pluginLogger } from "./logger.js";
import type { ClientPluginSpec } from "./resolve.js";
import type {
  AnyClientPluginDefinition,
  ClientPlugin,
  ClientPluginContext,
  ClientPluginFactory,
} from "./types.js";

/** The hook that observes each client event; a record, so a new event fails to compile until it has one. */
const hookOf: { readonly [E in keyof ClientEvents]: keyof ClientPlugin } = {
  connected: "onConnected",
  disconnected: "onDisconnected",
  reconnecting: "onReconnecting",
  message: "onMessage",
  messageDropped: "onMessageDropped",
  protocolError: "onProtocolError",
};

/** How the host brings plugins up. */
export interface ClientPluginHostOptions {
  /** Plugins chosen by the configuration, in order. */
  specs: readonly ClientPluginSpec[];
  /** Plugins given in code, after the configured ones. */
  plugins: readonly (ClientPlugin | ClientPluginFactory)[];
  logger: ClientLogger;
  clientId(): string;
  protocolVersion: ProtocolVersion;
  /** Bound on one received packet, for the plugins' own decoder (the session's Maximum Packet Size). */
  maxPacketSize: number;
  /** Import a plugin module and give its default export. */
  importModule(specifier: string): Promise<unknown>;
}

/**
 * Runs the client's plugins. Hooks are called in plugin order; a hook that
 * throws or rejects is logged with the plugin's name and the client carries on
 * (nothing waits for a hook, so a slow one holds nothing up). Received packets
 * are decoded a second time, by a bounded decoder of the host's own, only when
 * some plugin has `onPacketReceived`.
 */
export class ClientPluginHost {
  private plugins: ClientPlugin[] = [];
  private sent: ClientPlugin[] = [];
  private received: ClientPlugin[] = [];
  private decoder: Decoder | undefined;
  private starting: Promise<void> | undefined;

  constructor(private readonly options: ClientPluginHostOptions) {}

  /** True until {@link ClientPluginHost.start} ran, when there is something to start. */
  get needsStart(): boolean {
    return this.starting === undefined && (this.options.specs.length > 0 || this.options.plugins.length > 0);
  }

  /** Import and create the plugins (once). @throws ClientPluginError for a module that cannot be imported or created. */
  start(): Promise<void> {
    this.starting ??= this.createAll();
    return this.starting;
  }

  /** A packet was handed to the connection. */
  packetSent(packet: Packet): void {
    const sent = this.sent;
    // Per packet sent, usually with no plugin: an index, so no array iterator is made.
    for (let i = 0; i < sent.length; i++) this.call(sent[i] as ClientPlugin, "onPacketSent", packet);
  }

  /** A new connection: received bytes are decoded from its first byte. */
  connectionOpened(): void {
    this.decoder =
      this.received.length === 0
        ? undefined
        : new Decoder({
            protocolVersion: this.options.protocolVersion,
            maxPacketSize: this.options.maxPacketSize,
          });
  }

  /** Bytes arrived on the connection. */
  bytesReceived(chunk: Uint8Array): void {
    const decoder = this.decoder;
    if (decoder === undefined) return;
    decoder.push(chunk);
    for (;;) {
      let packet: Packet | undefined;
      try {
        packet = decoder.next();
      } catch {
        // The session reports the broken packet and closes the connection; the plugins see no more of it.
        this.decoder = undefined;
        return;
      }
      if (packet === undefined) return;
      for (const plugin of this.received) this.call(plugin, "onPacketReceived", packet);
    }
  }

  /** A client event happened. */
  event<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void {
    const hook = hookOf[event];
    for (const plugin of this.plugins) if (plugin[hook] !== undefined) this.call(plugin, hook, value);
  }

  private call(plugin: ClientPlugin, hook: keyof ClientPlugin, value: unknown): void {
    try {
      const outcome = (plugin[hook] as (v: unknown) => unknown).call(plugin, value);
      if (outcome instanceof Promise) outcome.catch((error: unknown) => this.failed(plugin, hook, error));
    } catch (error) {
      this.failed(plugin, hook, error);
    }
  }

  private failed(plugin: ClientPlugin, hook: string, error: unknown): void {
    this.options.logger.error(`plugin ${plugin.name}: ${hook} failed, ignored`, {
      plugin: plugin.name,
      hook,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }

  private async createAll(): Promise<void> {
    const created: ClientPlugin[] = [];
    for (const spec of this.options.specs) created.push(await this.createOne(spec));
    for (const given of this.options.plugins)
      created.push(typeof given === "function" ? await given(this.context("plugin", {})) : given);
    this.plugins = created;
    this.sent = created.filter((p) => p.onPacketSent !== undefined);
    this.received = created.filter((p) => p.onPacketReceived !== undefined);
  }

  private async createOne(spec: ClientPluginSpec): Promise<ClientPlugin> {
    const context = this.context(spec.configuredAs, spec.options);
    try {
      if ("definition" in spec) return await spec.definition.create(spec.options as never, context);
      let exported: unknown;
      try {
        exported = await this.options.importModule(spec.specifier);
      } catch (cause) {
        throw new ClientPluginError(
          spec.configuredAs,
          `cannot import "${spec.specifier}": ${String(cause)}`,
          {
            cause,
          },
        );
      }
      return await fromModule(spec, exported, context);
    } catch (error) {
      if (error instanceof ClientPluginError) throw error;
      throw new ClientPluginError(spec.configuredAs, `cannot be created: ${String(error)}`, { cause: error });
    }
  }

  private context(name: string, options: Record<string, unknown>): ClientPluginContext {
    return { options, logger: pluginLogger(this.options.logger, name), clientId: this.options.clientId };
  }
}

/** A module's default export: a factory, a definition (its options checked) or a plugin object. */
async function fromModule(
  spec: ClientPluginSpec,
  exported: unknown,
  context: ClientPluginContext,
): Promise<ClientPlugin> {
  if (typeof exported === "function") return (exported as ClientPluginFactory)(context);
  if (exported !== null && typeof exported === "object") {
    if ("create" in exported && "options" in exported) {
      const definition = exported as AnyClientPluginDefinition;
      const checked = definition.options(spec.options);
      if ("issues" in checked)
        throw new ClientPluginError(spec.configuredAs, checked.issues.map((i) => i.message).join("; "));
      return definition.create(checked.options as never, context);
    }
    return exported as ClientPlugin;
  }
  throw new ClientPluginError(
    spec.configuredAs,
    `the module must export as default a plugin factory, a plugin definition or a plugin object; found ${typeof exported}`,
  );
}
