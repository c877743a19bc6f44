import type { PeerCertificate, TlsInfo } from "./connection.js";

/**
 * The fields of a Node `tls.PeerCertificate` that {@link tlsInfoOf} reads, typed
 * structurally so this package needs no Node types.
 */
export interface NodeCertificateLike {
  readonly subject?: object;
  readonly issuer?: object;
  readonly subjectaltname?: string;
  readonly serialNumber?: string;
  readonly fingerprint256?: string;
  readonly valid_from?: string;
  readonly valid_to?: string;
  readonly raw?: Uint8Array;
}

/** The members of a Node `tls.TLSSocket` that {@link tlsInfoOf} reads. */
export interface NodeTlsSocketLike {
  readonly authorized: boolean;
  readonly authorizationError?: unknown;
  getPeerCertificate(): NodeCertificateLike | null | undefined;
  getProtocol(): string | null;
}

/** What TLS negotiated on a connected Node `TLSSocket`, in the neutral {@link TlsInfo} shape. */
export function tlsInfoOf(socket: NodeTlsSocketLike): TlsInfo {
  const error = socket.authorizationError;
  return {
    authorized: socket.authorized,
    authorizationError:
      error === undefined || error === null
        ? undefined
        : typeof error === "object" && "code" in error && typeof error.code === "string"
          ? error.code
          : error instanceof Error
            ? error.message
            : String(error),
    peerCertificate: peerCertificateOf(socket.getPeerCertificate()),
    protocol: socket.getProtocol() ?? undefined,
  };
}

/** Convert a Node certificate object; Node returns an empty object when the peer sent none. */
export function peerCertificateOf(
  certificate: NodeCertificateLike | null | undefined,
): PeerCertificate | undefined {
  if (certificate?.raw === undefined) return undefined;
  return {
    subject: flatten(certificate.subject),
    issuer: flatten(certificate.issuer),
    subjectAltName: certificate.subjectaltname,
    serialNumber: certificate.serialNumber ?? "",
    fingerprint256: certificate.fingerprint256 ?? "",
    validFrom: certificate.valid_from ?? "",
    validTo: certificate.valid_to ?? "",
    raw: new Uint8Array(certificate.raw),
  };
}

// Node gives repeated fields (e.g. two OU) as arrays; join them so every value is a string.
function flatten(fields: object | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}
