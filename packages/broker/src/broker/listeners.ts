import { readFileSync } from "node:fs";
import type { AddressInfo, Connection, Listener } from "@amqtt/transport";
import { listenTcp } from "@amqtt/transport-tcp";
import { listenWs } from "@amqtt/transport-ws/server";
import type { ListenerEdge } from "../config/edge.js";
import type { ResolvedBrokerConfig, ResolvedListener } from "../config/resolve.js";
import type { Logger } from "../logger.js";
import type { ListenerAddress } from "./options.js";

/**
 * The listeners of the configuration (TCP, WebSocket, with TLS when
 * configured; `external` ones are served through `Broker.handle`): opened at
 * start, all or none, and closed at stop.
 */
export class Listeners {
  private readonly open: { spec: ResolvedListener; listener: Listener }[] = [];

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
  async openAll(serve: (connection: Connection, listener: string) => void): Promise<void> {
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
      const listener = await this.listen(spec);
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

  /** Close every open listener. */
  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map(({ listener }) => listener.close()));
  }

  private async listen(spec: ResolvedListener): Promise<Listener> {
    const connection = { maxBufferedBytes: Math.max(8 * 1024 * 1024, 2 * this.config.limits.maxPacketSize) };
    const maxConnections = spec.maxConnections === 0 ? Number.MAX_SAFE_INTEGER : spec.maxConnections;
    const tls = tlsOptions(spec);
    const common = { host: spec.host, port: spec.port, maxConnections, connection };
    const edge = spec.edge;
    if (spec.type === "ws")
      return listenWs({
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

/** The TLS options of a listener: certificate, key and CA read from their files. */
function tlsOptions(spec: ResolvedListener) {
  if (spec.tls === undefined) return undefined;
  return {
    cert: readFileSync(spec.tls.certfile),
    key: readFileSync(spec.tls.keyfile),
    ...(spec.tls.cafile === undefined ? {} : { ca: readFileSync(spec.tls.cafile) }),
    ...(spec.tls.cadata === undefined ? {} : { ca: spec.tls.cadata }),
    requestCert: spec.tls.requestCert,
    // A client certificate is optional (as in aMQTT); plugins see whether it verified.
    rejectUnauthorized: false,
  };
}
