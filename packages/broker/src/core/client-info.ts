import type { Connection } from "@amqtt/transport";
import type { ClientInfo } from "../plugins/types.js";

/**
 * The {@link ClientInfo} of a connection. The parts an idle connection rarely
 * needs are made on first read: `attributes` (an empty `Map` is ~190 bytes of
 * heap) and the address strings (from the transport's address, itself built on
 * first read). Every field is declared here, so the object keeps them in-object
 * (a plain object literal with optional fields added later spills into a
 * second array).
 */
class ConnectionInfo implements ClientInfo {
  clientId = "";
  username: string | undefined = undefined;
  password: Uint8Array | undefined = undefined;
  protocolVersion: 3 | 4 | 5 = 4;
  readonly listener: string;
  anonymous = false;
  bridge: boolean | undefined = undefined;
  certificate: ClientInfo["certificate"] = undefined;
  /** Until the connection is over (then the addresses are settled and it is let go). */
  #transport: Connection | undefined;
  #attributes: Map<string, unknown> | undefined = undefined;
  /** Set by a plugin (or undefined: the transport's). */
  #remoteAddress: string | undefined | null = null;
  #remoteHost: string | undefined | null = null;

  constructor(transport: Connection, listener: string) {
    this.#transport = transport;
    this.listener = listener;
  }

  get attributes(): Map<string, unknown> {
    this.#attributes ??= new Map();
    return this.#attributes;
  }

  set attributes(value: Map<string, unknown>) {
    this.#attributes = value;
  }

  get remoteAddress(): string | undefined {
    if (this.#remoteAddress === null) {
      const remote = this.#transport?.remoteAddress;
      this.#remoteAddress =
        remote?.host === undefined
          ? undefined
          : remote.port === undefined
            ? remote.host
            : `${remote.host}:${remote.port}`;
    }
    return this.#remoteAddress;
  }

  set remoteAddress(value: string | undefined) {
    this.#remoteAddress = value;
  }

  get remoteHost(): string | undefined {
    if (this.#remoteHost === null) this.#remoteHost = this.#transport?.remoteAddress.host;
    return this.#remoteHost;
  }

  set remoteHost(value: string | undefined) {
    this.#remoteHost = value;
  }

  /** The connection is over: fix the addresses and let the transport go (the info may outlive it in a session). */
  settle(): void {
    void this.remoteAddress;
    void this.remoteHost;
    this.#transport = undefined;
  }

  /** The fields as a plain object (for JSON and for copies: accessors are not own properties). */
  toJSON(): ClientInfo {
    return {
      clientId: this.clientId,
      username: this.username,
      password: this.password,
      protocolVersion: this.protocolVersion,
      listener: this.listener,
      remoteAddress: this.remoteAddress,
      ...(this.remoteHost === undefined ? {} : { remoteHost: this.remoteHost }),
      ...(this.certificate === undefined ? {} : { certificate: this.certificate }),
      anonymous: this.anonymous,
      ...(this.bridge === undefined ? {} : { bridge: this.bridge }),
      attributes: this.attributes,
    };
  }
}

/**
 * The {@link ClientInfo} of a client with no connection here: a session
 * restored from the store (listener `""`) or the publisher of a message another
 * node routed (listener `"cluster"`). No password, no address.
 */
export function clientInfoAway(
  clientId: string,
  username: string | undefined,
  protocolVersion: ClientInfo["protocolVersion"],
  listener: string,
): ClientInfo {
  return {
    clientId,
    username,
    password: undefined,
    protocolVersion,
    listener,
    remoteAddress: undefined,
    anonymous: username === undefined,
    attributes: new Map(),
  };
}

/** The facts plugins see about a client before its CONNECT: listener, address, verified certificate. */
export function clientInfoOf(transport: Connection, listener: string): ClientInfo {
  const info = new ConnectionInfo(transport, listener);
  const tls = transport.tls;
  const cert = tls?.peerCertificate;
  if (cert !== undefined) {
    info.certificate = {
      der: cert.raw,
      subject: Object.entries(cert.subject)
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
      uris: subjectAltUris(cert.subjectAltName),
      authorized: tls?.authorized ?? false,
    };
  }
  return info;
}

/** The connection of `info` is over: its lazily read parts are fixed now and the transport let go. */
export function settleClientInfo(info: ClientInfo): void {
  if (info instanceof ConnectionInfo) info.settle();
}

/** The `URI:` entries of a subject alternative name list as Node prints it (`"URI:spiffe://a/b, DNS:x"`). */
function subjectAltUris(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined) return [];
  return subjectAltName
    .split(", ")
    .filter((entry) => entry.startsWith("URI:"))
    .map((entry) => entry.slice(4));
}
