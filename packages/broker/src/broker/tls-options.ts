import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedListener } from "../config/resolve.js";

/** The secure-context part of a listener's TLS options: what a reload can replace. */
export interface ListenerSecureContext {
  cert: Buffer;
  key: Buffer;
  /** Every trusted CA certificate: `cafile`, then the certificates of `capath`, then `cadata`. */
  ca?: (Buffer | string)[];
}

const PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----";

/**
 * Read a listener's certificate, key and CAs from their files. The CAs add up,
 * as Python's `load_verify_locations(cafile, capath, cadata)` does for aMQTT:
 * `cafile`, every PEM certificate file in the `capath` folder (other files are
 * skipped, the folder is not walked), and `cadata`. Throws when a file cannot be read.
 */
export function readSecureContext(tls: NonNullable<ResolvedListener["tls"]>): ListenerSecureContext {
  const ca: (Buffer | string)[] = [];
  if (tls.cafile !== undefined) ca.push(readFileSync(tls.cafile));
  if (tls.capath !== undefined) ca.push(...certificatesIn(tls.capath));
  if (tls.cadata !== undefined) ca.push(tls.cadata);
  return {
    cert: readFileSync(tls.certfile),
    key: readFileSync(tls.keyfile),
    ...(ca.length === 0 ? {} : { ca }),
  };
}

/** The PEM certificate files directly in `folder`, in name order (so a reload reads the same set the same way). */
export function certificatesIn(folder: string): Buffer[] {
  const out: Buffer[] = [];
  for (const name of readdirSync(folder).sort()) {
    const file = join(folder, name);
    if (!statSync(file).isFile()) continue;
    const content = readFileSync(file);
    if (content.includes(PEM_CERTIFICATE)) out.push(content);
  }
  return out;
}

/** The full TLS options of a listener: its secure context and how clients are asked for certificates. */
export function tlsOptions(spec: ResolvedListener) {
  if (spec.tls === undefined) return undefined;
  return {
    ...readSecureContext(spec.tls),
    requestCert: spec.tls.requestCert,
    // A client certificate is optional (as in aMQTT); plugins see whether it verified.
    rejectUnauthorized: false,
  };
}
