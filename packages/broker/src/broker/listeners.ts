import type { AddressInfo, Connection } from "@amqtt/transport";
import { listenTcp, type TcpListener } from "@amqtt/transport-tcp";
import type { WsListener } from "@amqtt/transport-ws/server";
import type { ListenerEdge } from "../config/edge.js";
import type { ResolvedBrokerConfig, ResolvedListener } from "../config/resolve.js";
import type { Logger } from "../logger.js";
import type { ListenerAddress } from "./options.js";
import { readSecureContext, tlsOptions } from "./tls-options.js";

/** What reloading one listener's certificates did. */
export interface TlsReloadOutcome {
  listener: string;
  /** The error when the files could not be read or the context not built (the old one stays). */
  error?: string;
}

/**
 * The listeners of the configuration (TCP, WebSocket, with TLS when
 * configured; `external` ones are served through `Broker.handle`): opened at
 * start, all or none, and closed at stop.
 */
export class Listeners {
  private readonly open: { spec: ResolvedListener; listener: TcpListener | WsListener }[] = [];

  constructor(
    private readonly config: ResolvedBrokerConfig,
    private readonly logger: Logger,
  ) {}

  /** Addresses of the open listeners (with the ports actually bound). */
  addresses(): ListenerAddress[] {
    return this.open.map(({ spec, listener }) => {
      const a = listener.address();
      return {
        name: spec.name,
        type: spec.type,
        tls: spec.tls !== undefined,
        host: a.host ?? spec.host,
        port: a.port ?? spec.port,
      };
    });
  }

  /** Open every configured listener, each connection going to `serve`; on a failure, the caller closes what opened. */
  async openAll(
    serve: (connection: Connection, listener: string) => void,
    /** The check each listener runs when it accepts a socket (a connection rate), by listener name. */
    admitFor: (listener: string) => (() => boolean) | undefined = () => undefined,
  ): Promise<void> {
    const limit = this.config.rateLimits.connectionLimit;
    this.logger.info("connection limits", {
      defaultMaxConnections: limit.limit,
      from:
        limit.openFiles === undefined
          ? "fallback (open-files limit unreadable)"
          : `open-files limit ${limit.openFiles} less a reserve`,
      maxClients: this.config.rateLimits.maxClients,
    });
    for (const spec of this.config.listeners) {
      // `external` connections come through `Broker.handle`; `http` is the admin listener (`@amqtt/admin`).
      if (spec.type === "external" || spec.type === "http") continue;
      const listener = await this.listen(spec, admitFor(spec.name));
      listener.onConnection((connection) => serve(connection, spec.name));
      this.open.push({ spec, listener });
      const a = listener.address();
      this.logger.info(`listening`, {
        listener: spec.name,
        type: spec.type,
        tls: spec.tls !== undefined,
        host: a.host ?? a.path,
        port: a.port,
        maxConnections: listener.maxConnections,
        ...(spec.edge?.proxyTrusted === undefined ? {} : { proxyProtocol: true }),
      });
    }
  }

  /**
   * Re-read the certificate, key and CA files of every open TLS listener and
   * use them for new handshakes (`setSecureContext`): open connections stay up
   * with the certificate they negotiated. `specs` gives the files to read
   * (by listener name; the open ones' own when absent). A listener whose files
   * cannot be read keeps its current certificate and reports the error.
   */
  reloadTls(specs: readonly ResolvedListener[] = []): TlsReloadOutcome[] {
    const outcomes: TlsReloadOutcome[] = [];
    for (const entry of this.open) {
      const spec = specs.find((s) => s.name === entry.spec.name) ?? entry.spec;
      if (spec.tls === undefined || !entry.listener.secure) continue;
      try {
        entry.listener.setSecureContext(readSecureContext(spec.tls));
        entry.spec = spec;
        outcomes.push({ listener: spec.name });
        this.logger.info("TLS certificate reloaded", { listener: spec.name, certfile: spec.tls.certfile });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        outcomes.push({ listener: spec.name, error: message });
        this.logger.error("TLS certificate reload failed; the listener keeps its certificate", {
          listener: spec.name,
          error: message,
        });
      }
    }
    return outcomes;
  }

  /** Close every open listener. */
  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map(({ listener }) => listener.close()));
  }

  private async listen(
    spec: ResolvedListener,
    admit: (() => boolean) | undefined,
  ): Promise<TcpListener | WsListener> {
    // Each client's `Outbound` already writes once per turn: the transport need not cork.
    const connection = {
      maxBufferedBytes: Math.max(8 * 1024 * 1024, 2 * this.config.limits.maxPacketSize),
      sendsBatched: true,
    };
    const maxConnections = spec.maxConnections === 0 ? Number.MAX_SAFE_INTEGER : spec.maxConnections;
    const tls = tlsOptions(spec);
    const common = {
      host: spec.host,
      port: spec.port,
      maxConnections,
      connection,
      ...(admit === undefined ? {} : { admit }),
    };
    const edge = spec.edge;
    // ws is imported only when a WebSocket listener opens (an MQTT-over-TCP broker never loads it).
    if (spec.type === "ws")
      return (await import("@amqtt/transport-ws/server")).listenWs({
        ...common,
        ...(tls === undefined ? {} : { tls }),
        ...(spec.path === undefined ? {} : { path: spec.path }),
        ...(edge?.trustedProxies === undefined ? {} : { trustedProxies: edge.trustedProxies }),
      });
    return listenTcp({
      ...common,
      ...(tls === undefined ? {} : { tls }),
      ...edgeTcpOptions(spec.name, edge, this.logger),
    });
  }
}

/** A TCP listener's PROXY protocol and unix socket options from its configuration. */
function edgeTcpOptions(name: string, edge: ListenerEdge | undefined, logger: Logger) {
  if (edge === undefined) return {};
  const proxy = edge.proxyTrusted;
  const unix = edge.unix;
  return {
    ...(proxy === undefined
      ? {}
      : {
          proxyProtocol: {
            trusted: proxy,
            // Refusals are logged at debug: a scan from an untrusted address must not flood the log.
            onRefused: (error: Error, peer: AddressInfo) =>
              logger.debug("PROXY protocol refusal", {
                listener: name,
                peer: peer.host,
                reason: error.message,
              }),
          },
        }),
    ...(unix === undefined
      ? {}
      : {
          path: unix.path,
          unixSocket: {
            ...(unix.mode === undefined ? {} : { mode: unix.mode }),
            ...(unix.uid === undefined ? {} : { uid: unix.uid }),
            ...(unix.gid === undefined ? {} : { gid: unix.gid }),
          },
        }),
  };
}
