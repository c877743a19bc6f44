import type { ConnectProperties, SubscribeProperties, Subscription } from "@amqtt/codec";
import type { IncomingApplicationMessage } from "@amqtt/message";
import type { ClientSession, SessionAction, SessionSnapshot, TimerKind } from "@amqtt/session";
import type { Connection } from "@amqtt/transport";
import type { ClientState, EnhancedAuth } from "./client-options.js";
import type { ClientConfig, TlsSettings } from "./config.js";
import type { DeliveryQueue } from "./delivery.js";
import type { ClientEvents } from "./events.js";
import type { InFlightTable } from "./in-flight-table.js";
import type { BoundedQueue } from "./offline-queue.js";
import type { Outbox } from "./outbox.js";
import type { PendingPublish } from "./pending-publish.js";
import type { ClientPluginHost } from "./plugins/host.js";
import type { SilenceWatch } from "./silence-watch.js";
import type { BrokerUri } from "./uri.js";

/** A SUBSCRIBE or UNSUBSCRIBE waiting for its answer (or for a connection, in `redo`). */
export interface PendingRequest {
  kind: "subscribe" | "unsubscribe";
  subscriptions: Subscription[];
  topicFilters: string[];
  properties?: SubscribeProperties | undefined;
  /** The client's own resubscription after a lost session (redone from `wanted`, not from here). */
  internal?: boolean;
  resolve(codes: number[]): void;
  reject(error: Error): void;
  done(): boolean;
}

/** A promise's settle functions, as kept while it waits. */
export interface Settle<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/**
 * The state one `MQTTClient` shares between its modules (the facade, the
 * connection attempt, the reconnect loop, the session driver, requests and
 * publishing), and the operations they call on each other. The modules take this
 * interface, never each other, so they import no cycle; `ClientCore` implements it.
 */
/** A received message whose acknowledgement waits for the application (`manualAcks`). */
export interface HeldAck {
  /** The session (connection) it came on: after that one ended the broker sends it again. */
  session: ClientSession;
  requestId: number;
}

export interface ClientContext {
  readonly config: ClientConfig;
  clientId: string;
  sessionPresent: boolean;
  state: ClientState;
  /** The sans-IO protocol engine of the current connection. */
  session: ClientSession | undefined;
  /** The session as it was when the last connection ended, for the next one. */
  snapshot: SessionSnapshot | undefined;
  connection: Connection | undefined;
  /** Counts connection attempts: a late event of an older one is ignored. */
  generation: number;
  target: BrokerUri | undefined;
  tls: TlsSettings;
  cleanSession: boolean;
  connectProperties: ConnectProperties | undefined;
  auth: EnhancedAuth | undefined;
  everConnected: boolean;
  readonly timers: Map<TimerKind, unknown>;
  /** With `manualAcks`: received QoS 1/2 messages waiting for `acknowledge`, with the request that answers them. */
  readonly heldAcks: WeakMap<IncomingApplicationMessage, HeldAck>;
  /** QoS 1/2 publishes in flight, by the session's sequence number. */
  readonly publishes: InFlightTable<PendingPublish>;
  /** SUBSCRIBE/UNSUBSCRIBE in flight, by packet id. */
  readonly requests: Map<number, PendingRequest>;
  /** Requests to send (again) once connected. */
  redo: PendingRequest[];
  pings: Settle<void>[];
  readonly offline: BoundedQueue<PendingPublish>;
  readonly delivery: DeliveryQueue;
  /** Granted subscriptions, restored when a reconnect finds no session. */
  readonly wanted: Map<string, Subscription>;
  connectWaiter: Settle<number> | undefined;
  reconnecting: Promise<number> | undefined;
  sleepTimer: { handle: unknown; wake(): void } | undefined;
  readonly closeListeners: Set<(error: Error) => void>;
  readonly outbox: Outbox;
  readonly silence: SilenceWatch;
  /** The configured plugins and their hooks. */
  readonly plugins: ClientPluginHost;

  /** Tell the application (and the plugins) about an event. */
  emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void;
  /** Carry out a session's actions, in order (the session driver). */
  carry(actions: SessionAction[], session?: ClientSession, transportError?: Error): void;
  /** Hand a request to the session now (connected). */
  sendRequest(entry: PendingRequest): void;
  /** Hand a publish to the session now (connected). */
  sendPublish(entry: PendingPublish): void;
  /** Connect now (or after backoff), retrying as configured (the reconnect loop). */
  establish(immediate: boolean, signal: AbortSignal | undefined): Promise<number>;
  /** A CONNACK accepted the connection. */
  connected(sessionPresent: boolean): void;
  /** The session ended its connection. */
  connectionLost(
    action: Extract<SessionAction, { kind: "disconnected" }>,
    session: ClientSession | undefined,
    transportError: Error | undefined,
  ): void;
  /** Settle every promise still waiting: nothing hangs after `disconnect()` or giving up. */
  failEverything(error: Error): void;
}
