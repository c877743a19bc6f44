import { readFile } from "node:fs/promises";
import type { Logger } from "@amqtt/broker";
import {
  backoffDelay,
  ConnectError,
  type IncomingApplicationMessage,
  MQTTClient,
  ReasonCode,
  reasonCodeName,
} from "@amqtt/client";
import type { Packet, PublishPacket, PubrelPacket, Subscription } from "@amqtt/codec";
import type { BridgeConfig } from "./config.js";
import { type FailoverState, failoverDial, fencedDial } from "./dial.js";
import { NODE_TOPIC } from "./properties.js";
import type { TopicMap } from "./topic-map.js";

/** What the link tells its bridge. */
export interface LinkHandlers {
  /** A connection to the remote is up (first or again); `client` is the one to publish on. */
  up(client: MQTTClient): void;
  /** The connection is gone; the client reconnects by itself (or a new one is made). */
  down(): void;
  /** A message from the remote, acknowledged only when the handler calls `client.acknowledge`. */
  message(client: MQTTClient, message: IncomingApplicationMessage): void;
  /** Every packet from the remote, decoded again, before the client acts on it. */
  packet?(packet: Packet): void;
  /** Before a new client connects (restore its session). */
  prepare?(client: MQTTClient): Promise<void>;
  /** The client's `beforeSend`: hold a QoS 1/2 PUBLISH or PUBREL until the promise resolves. */
  beforeSend?(client: MQTTClient, packet: PublishPacket | PubrelPacket): PromiseLike<void> | undefined;
}

/** How often a link checks that its client has not given up (ms). */
const WATCH_MS = 500;

/**
 * The connection to the remote broker: an `MQTTClient` with manual
 * acknowledgements, reconnecting with exponential backoff and jitter across
 * the addresses (fail-over), subscribed to the `in`/`both` topics (5.0: No
 * Local, Retain As Published, retained only for a new subscription). When the
 * remote refuses us the client gives up; the link then starts a new client
 * after a backoff, and a 3.1.1 remote that refuses the bridge bit is asked
 * again without it.
 */
export class RemoteLink {
  /** The client of the current connection attempt or connection. */
  client: MQTTClient | undefined;
  connected = false;
  /** The last failure, for status (never holds a password: URLs carry no credentials). */
  lastError: string | undefined;
  /** Successful connections since start. */
  connects = 0;
  private stopping = false;
  private running: Promise<void> | undefined;
  private readonly failover: FailoverState;
  private wakeStop: (() => void) | undefined;

  constructor(
    private readonly config: BridgeConfig,
    private readonly topics: TopicMap,
    private readonly handlers: LinkHandlers,
    private readonly logger: Logger,
    /** Checked before every dial: false refuses to connect (a cluster node whose bridge lease is no longer valid). */
    private readonly mayConnect: () => boolean = () => true,
  ) {
    this.failover = { current: 0, bridgeBit: config.protocolVersion === 4 && config.tryPrivate };
  }

  /** The address connected to (or tried next). */
  get address(): string {
    return this.config.addresses[this.failover.current] ?? "";
  }

  /** Start connecting; never throws (failures go to `lastError` and are retried). */
  start(): void {
    this.running ??= this.run();
  }

  /** Disconnect (a 5.0 remote keeps our session by its expiry) and stop retrying. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeStop?.();
    await this.client?.disconnect().catch(() => {});
    await this.running;
  }

  private async run(): Promise<void> {
    const password = await this.readPassword();
    let failures = 0;
    while (!this.stopping) {
      const client = this.newClient();
      this.client = client;
      try {
        await this.handlers.prepare?.(client);
        if (this.stopping) break;
        await client.connect(this.uri(password));
        failures = 0;
        const subscriptions = this.subscriptions();
        if (!client.sessionPresent && subscriptions.length > 0) await this.subscribe(client, subscriptions);
        await this.untilGivenUp(client);
      } catch (error) {
        if (this.stopping) break;
        this.lastError = describe(error);
        if (this.refusedBridgeBit(error)) {
          this.failover.bridgeBit = false;
          this.logger.warn(
            `bridge ${this.config.name}: the remote refused the bridge bit; trying without it`,
          );
          continue;
        }
        this.logger.warn(`bridge ${this.config.name}: ${this.lastError}`);
      }
      this.markDown();
      if (this.stopping) break;
      const r = this.config.reconnect;
      await this.sleep(
        backoffDelay(failures++, {
          initialMs: r.initialMs,
          maxMs: r.maxMs,
          jitter: r.jitter,
          random: Math.random,
        }),
      );
    }
  }

  private newClient(): MQTTClient {
    const c = this.config;
    const tls = c.tls;
    const onPacket = this.handlers.packet;
    const beforeSend = this.handlers.beforeSend;
    const client: MQTTClient = new MQTTClient({
      clientId: c.clientId,
      ...(onPacket === undefined
        ? {}
        : {
            plugins: [
              {
                name: `bridge-${c.name}-packets`,
                onPacketReceived: (packet: Packet) => {
                  if (this.client === client) onPacket(packet);
                },
              },
            ],
          }),
      config: {
        protocolVersion: c.protocolVersion,
        keepAlive: c.keepAlive,
        cleanSession: c.cleanStart,
        ...(c.protocolVersion === 5 ? { sessionExpiryInterval: c.sessionExpiryInterval } : {}),
        autoReconnect: true,
        reconnectRetries: -1,
        reconnectInitialDelayMs: c.reconnect.initialMs,
        reconnectMaxInterval: c.reconnect.maxMs / 1000,
        reconnectJitter: c.reconnect.jitter,
        manualAcks: true,
        // Messages are taken from the `message` event; the pull queue keeps only the newest.
        maxDeliveryQueue: 1,
        maxOfflineMessages: c.maxInflight,
        checkHostname: tls?.verifyHostname ?? true,
        connection: {
          ...(tls?.cafile === undefined ? {} : { cafile: tls.cafile }),
          ...(tls?.certfile === undefined ? {} : { certfile: tls.certfile }),
          ...(tls?.keyfile === undefined ? {} : { keyfile: tls.keyfile }),
        },
        dial: fencedDial(failoverDial(c.addresses, this.failover), this.mayConnect),
        ...(beforeSend === undefined
          ? {}
          : {
              beforeSend: (packet: PublishPacket | PubrelPacket) =>
                this.client === client ? beforeSend(client, packet) : undefined,
            }),
        logger: this.logger.child("remote"),
      },
    });
    client.on("connected", () => {
      if (this.client !== client) return;
      this.connected = true;
      this.connects++;
      this.lastError = undefined;
      this.handlers.up(client);
    });
    client.on("disconnected", ({ error }) => {
      if (this.client !== client) return;
      if (error !== undefined) this.lastError = describe(error);
      this.markDown();
    });
    client.on("reconnecting", ({ error }) => {
      // The client retries by itself; the status says why the last attempt failed.
      if (this.client === client && error !== undefined) this.lastError = describe(error);
    });
    client.on("message", (m) => {
      if (this.client === client) this.handlers.message(client, m);
    });
    return client;
  }

  private subscriptions(): Subscription[] {
    const v5 = this.config.protocolVersion === 5;
    const topics = this.topics.remoteSubscriptions().map((s) =>
      v5
        ? // Not our own messages back [MQTT-3.8.3-3]; retained flags as published [MQTT-3.3.1-12].
          { ...s, noLocal: true, retainAsPublished: true, retainHandling: 1 as const }
        : s,
    );
    // 5.0: the remote's node id (retained there by its bridges, if it runs ours) for the hop check.
    return v5 ? [...topics, { topicFilter: NODE_TOPIC, qos: 0 }] : topics;
  }

  /** Subscribe to the inbound topics; a refused one is logged (the others still flow). */
  private async subscribe(client: MQTTClient, subscriptions: Subscription[]): Promise<void> {
    const codes = await client.subscribe(subscriptions);
    codes.forEach((code, i) => {
      if (code < 0x80) return;
      this.lastError = `the remote refused the subscription ${subscriptions[i]?.topicFilter} (${reasonCodeName(code)})`;
      this.logger.warn(`bridge ${this.config.name}: ${this.lastError}`);
    });
  }

  /** The URI the client connects with: credentials only here, the dial takes the addresses. */
  private uri(password: string | undefined): string {
    const url = new URL(this.address);
    if (this.config.username !== undefined) url.username = encodeURIComponent(this.config.username);
    if (password !== undefined) url.password = encodeURIComponent(password);
    return url.toString();
  }

  private async readPassword(): Promise<string | undefined> {
    const file = this.config.passwordFile;
    if (file === undefined) return undefined;
    try {
      return (await readFile(file, "utf8")).split(/\r?\n/)[0];
    } catch (error) {
      this.lastError = `cannot read password_file: ${(error as Error).message}`;
      this.logger.error(`bridge ${this.config.name}: ${this.lastError}`);
      return undefined;
    }
  }

  private refusedBridgeBit(error: unknown): boolean {
    if (!this.failover.bridgeBit || !(error instanceof ConnectError)) return false;
    const code = error.returnCode;
    return code === 1 || code === ReasonCode.UNSUPPORTED_PROTOCOL_VERSION;
  }

  private markDown(): void {
    if (!this.connected) return;
    this.connected = false;
    this.handlers.down();
  }

  /** Resolves once `client` stopped retrying (a refusal) or the link stops. */
  private untilGivenUp(client: MQTTClient): Promise<void> {
    return new Promise((resolve) => {
      const timer = setInterval(() => {
        if (client.state === "closed" || this.stopping) done();
      }, WATCH_MS);
      timer.unref();
      const done = (): void => {
        clearInterval(timer);
        this.wakeStop = undefined;
        resolve();
      };
      this.wakeStop = done;
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeStop = done;
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
