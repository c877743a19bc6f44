import type { Connection } from "@amqtt/transport";
import type { ClientInfo } from "../plugins/types.js";

/** The facts plugins see about a client before its CONNECT: listener, address, verified certificate. */
export function clientInfoOf(transport: Connection, listener: string): ClientInfo {
  const remote = transport.remoteAddress;
  const tls = transport.tls;
  const info: ClientInfo = {
    clientId: "",
    username: undefined,
    password: undefined,
    protocolVersion: 4,
    listener,
    remoteAddress:
      remote.host === undefined
        ? undefined
        : remote.port === undefined
          ? remote.host
          : `${remote.host}:${remote.port}`,
    anonymous: false,
    attributes: new Map(),
  };
  if (remote.host !== undefined) info.remoteHost = remote.host;
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

/** The `URI:` entries of a subject alternative name list as Node prints it (`"URI:spiffe://a/b, DNS:x"`). */
function subjectAltUris(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined) return [];
  return subjectAltName
    .split(", ")
    .filter((entry) => entry.startsWith("URI:"))
    .map((entry) => entry.slice(4));
}
