import type { ConnectProperties, Subscription } from "@amqtt/codec";
import type { IncomingApplicationMessage } from "@amqtt/message";
import {
  type ClientSession,
  DEFAULT_MAXIMUM_PACKET_SIZE,
  type DisconnectedAction,
  type SessionAction,
  type SessionSnapshot,
  type TimerKind,
} from "@amqtt/session";
import type { Connection } from "@amqtt/transport";
import type { ClientContext, HeldAck, PendingRequest, Settle } from "./client-context.js";
import type { ClientState, EnhancedAuth } from "./client-options.js";
import type { ClientConfig, TlsSettings } from "./config.js";
import { DeliveryQueue } from "./delivery.js";
import type { ClientEvents } from "./events.js";
import { InFlightTable } from "./in-flight-table.js";
import { BoundedQueue } from "./offline-queue.js";
import { Outbox } from "./outbox.js";
import type { PendingPublish } from "./pending-publish.js";
import { ClientPluginHost } from "./plugins/host.js";
import { importPluginModule } from "./plugins/load-module.js";
import type { ClientPlugin, ClientPluginFactory } from "./plugins/types.js";
import { sendPublish } from "./publishing.js";
import { establish, onConnected, onConnectionLost } from "./reconnect-loop.js";
import { sendRequest } from "./requests.js";
import { carryActions, clearAllTimers, pingIfConnected } from "./session-driver.js";
import { SilenceWatch } from "./silence-watch.js";
import type { BrokerUri } from "./uri.js";

/** How the facade tells its listeners about an event. */
export type Emit = <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;

/**
 * The state of one `MQTTClient` and the wiring of its modules: each operation of
 * {@link ClientContext} is one module's function (session driver, reconnect loop,
 * requests, publishing), so the modules never import each other.
 */
export class ClientCore implements ClientContext {
  sessionPresent = false;
  state: ClientState = "idle";
  session: ClientSession | undefined;
  snapshot: SessionSnapshot | undefined;
  connection: Connection | undefined;
  generation = 0;
  target: BrokerUri | undefined;
  tls: TlsSettings;
  cleanSession: boolean;
  connectProperties: ConnectProperties | undefined;
  auth: EnhancedAuth | undefined;
  everConnected = false;
  readonly timers = new Map<TimerKind, unknown>();
  readonly publishes = new InFlightTable<PendingPublish>();
  readonly requests = new Map<number, PendingRequest>();
  redo: PendingRequest[] = [];
  pings: Settle<void>[] = [];
  readonly offline: BoundedQueue<PendingPublish>;
  readonly delivery: DeliveryQueue;
  readonly wanted = new Map<string, Subscription>();
  connectWaiter: Settle<number> | undefined;
  reconnecting: Promise<number> | undefined;
  sleepTimer: { handle: unknown; wake(): void } | undefined;
  readonly closeListeners = new Set<(error: Error) => void>();
  readonly heldAcks = new WeakMap<IncomingApplicationMessage, HeldAck>();
  readonly outbox = new Outbox();
  readonly silence: SilenceWatch;
  readonly plugins: ClientPluginHost;
  readonly emit: Emit;

  constructor(
    readonly config: ClientConfig,
    public clientId: string,
    emit: Emit,
    plugins: readonly (ClientPlugin | ClientPluginFactory)[] = [],
  ) {
    this.plugins = new ClientPluginHost({
      specs: config.plugins,
      plugins,
      logger: config.logger,
      clientId: () => this.clientId,
      protocolVersion: config.protocolVersion,
      maxPacketSize: DEFAULT_MAXIMUM_PACKET_SIZE,
      importModule: importPluginModule,
    });
    // The application's listeners first, then the plugins' hooks.
    this.emit = (event, value) => {
      emit(event, value);
      this.plugins.event(event, value);
    };
    this.cleanSession = config.cleanSession;
    this.tls = { checkHostname: config.checkHostname, verifyCert: config.verifyCert };
    this.offline = new BoundedQueue(
      config.maxOfflineMessages,
      config.maxOfflineBytes,
      config.offlineOverflow,
    );
    this.silence = new SilenceWatch(config.clock, () => pingIfConnected(this));
    this.delivery = new DeliveryQueue(config.maxDeliveryQueue, config.deliveryOverflow, (m) =>
      this.emit("messageDropped", m),
    );
  }

  carry(actions: SessionAction[], session = this.session, transportError?: Error): void {
    carryActions(this, actions, session, transportError);
  }
  sendRequest(entry: PendingRequest): void {
    sendRequest(this, entry);
  }
  sendPublish(entry: PendingPublish): void {
    sendPublish(this, entry);
  }
  establish(immediate: boolean, signal: AbortSignal | undefined): Promise<number> {
    return establish(this, immediate, signal);
  }
  connected(sessionPresent: boolean): void {
    onConnected(this, sessionPresent);
  }
  connectionLost(
    action: DisconnectedAction,
    session: ClientSession | undefined,
    transportError: Error | undefined,
  ): void {
    onConnectionLost(this, action, session, transportError);
  }

  failEverything(error: Error): void {
    this.silence.stop();
    clearAllTimers(this);
    this.connectWaiter?.reject(error);
    this.connectWaiter = undefined;
    for (const p of this.publishes.drain()) p.reject(error);
    for (const p of this.offline.drain()) p.reject(error);
    for (const r of this.requests.values()) r.reject(error);
    this.requests.clear();
    for (const r of this.redo.splice(0)) r.reject(error);
    for (const p of this.pings.splice(0)) p.reject(error);
    for (const listener of [...this.closeListeners]) listener(error);
    this.closeListeners.clear();
  }
}
