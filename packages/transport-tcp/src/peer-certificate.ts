import type { PeerCertificate as NodePeerCertificate, TLSSocket } from "node:tls";
import type { PeerCertificate, TlsInfo } from "@amqtt/transport";

/** Read what TLS negotiated from a connected `TLSSocket`, in the transport's neutral shape. */
export function tlsInfoOf(socket: TLSSocket): TlsInfo {
  const authorizationError = socket.authorizationError as unknown;
  return {
    authorized: socket.authorized,
    authorizationError:
      authorizationError === undefined || authorizationError === null
        ? undefined
        : authorizationError instanceof Error
          ? ((authorizationError as NodeJS.ErrnoException).code ?? authorizationError.message)
          : String(authorizationError),
    peerCertificate: peerCertificateOf(socket.getPeerCertificate()),
    protocol: socket.getProtocol() ?? undefined,
  };
}

/** Convert Node's certificate object; Node returns an empty object when the peer sent none. */
export function peerCertificateOf(certificate: NodePeerCertificate | undefined): PeerCertificate | undefined {
  if (certificate === undefined || certificate === null || certificate.raw === undefined) return undefined;
  return {
    subject: flatten(certificate.subject),
    issuer: flatten(certificate.issuer),
    subjectAltName: certificate.subjectaltname,
    serialNumber: certificate.serialNumber,
    fingerprint256: certificate.fingerprint256,
    validFrom: certificate.valid_from,
    validTo: certificate.valid_to,
    raw: new Uint8Array(certificate.raw),
  };
}

// Node gives repeated fields (e.g. two OU) as arrays; join them so the shape stays string-valued.
function flatten(fields: object | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    out[key] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}
