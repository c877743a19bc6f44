import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import forge from "node-forge";

// aMQTT's ca_creds, server_creds and device_creds: a small private CA, a server
// certificate for TLS listeners, and device certificates whose SAN URI is
// `spiffe://<uri>/device/<device id>` (what aMQTT's certificate auth checks).
// X.509 is made with node-forge; RSA keys come from Node's own generator.

/** Subject fields, as aMQTT's flags name them. */
export interface SubjectOptions {
  country?: string;
  state?: string;
  locality?: string;
  orgName?: string;
  cn: string;
}

const DAY = 24 * 60 * 60 * 1000;

function subject(o: SubjectOptions): forge.pki.CertificateField[] {
  const fields: forge.pki.CertificateField[] = [{ shortName: "CN", value: o.cn }];
  if (o.country !== undefined) fields.push({ shortName: "C", value: o.country });
  if (o.state !== undefined) fields.push({ shortName: "ST", value: o.state });
  if (o.locality !== undefined) fields.push({ shortName: "L", value: o.locality });
  if (o.orgName !== undefined) fields.push({ shortName: "O", value: o.orgName });
  return fields;
}

function newCertificate(publicKey: forge.pki.PublicKey, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive random serial (the top bit cleared).
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  cert.serialNumber = serial.toString("hex");
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * DAY);
  return cert;
}

function keyPair(): forge.pki.rsa.KeyPair {
  return forge.pki.rsa.generateKeyPair({ bits: 2048 });
}

async function writePair(dir: string, name: string, key: forge.pki.PrivateKey, cert: forge.pki.Certificate) {
  await mkdir(dir, { recursive: true });
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  await writeFile(keyFile, forge.pki.privateKeyToPem(key), { mode: 0o600 });
  await writeFile(certFile, forge.pki.certificateToPem(cert));
  return { keyFile, certFile };
}

/** Make a CA: `ca.key` and `ca.crt` in `dir` (valid 10 years). */
export async function createCa(o: SubjectOptions & { outputDir: string }) {
  const keys = keyPair();
  const cert = newCertificate(keys.publicKey, 3650);
  cert.setSubject(subject(o));
  cert.setIssuer(subject(o));
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return writePair(o.outputDir, "ca", keys.privateKey, cert);
}

async function loadCa(caKey: string, caCrt: string) {
  const key = forge.pki.privateKeyFromPem(await readFile(caKey, "utf8"));
  const cert = forge.pki.certificateFromPem(await readFile(caCrt, "utf8"));
  return { key, cert };
}

function signedBy(
  ca: { key: forge.pki.PrivateKey; cert: forge.pki.Certificate },
  o: SubjectOptions,
  altNames: { type: number; value?: string; ip?: string }[],
  usage: "serverAuth" | "clientAuth",
) {
  const keys = keyPair();
  const cert = newCertificate(keys.publicKey, 825);
  cert.setSubject(subject(o));
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: usage === "serverAuth", clientAuth: usage === "clientAuth" },
    { name: "subjectAltName", altNames },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(ca.key as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { key: keys.privateKey, cert };
}

/** Make `server.key`/`server.crt` signed by the CA, for host `cn` (DNS name or IP in the SAN). */
export async function createServer(o: SubjectOptions & { outputDir: string; caKey: string; caCrt: string }) {
  const ca = await loadCa(o.caKey, o.caCrt);
  // SAN type 2 is a DNS name, 7 an IP address (RFC 5280 section 4.2.1.6).
  const san = isIP(o.cn) === 0 ? [{ type: 2, value: o.cn }] : [{ type: 7, ip: o.cn }];
  const { key, cert } = signedBy(ca, o, san, "serverAuth");
  return writePair(o.outputDir, "server", key, cert);
}

/** Make `<deviceId>.key`/`.crt` signed by the CA, SAN URI `spiffe://<uri>/device/<deviceId>` (as aMQTT). */
export async function createDevice(
  o: Omit<SubjectOptions, "cn"> & {
    deviceId: string;
    uri: string;
    outputDir: string;
    caKey: string;
    caCrt: string;
  },
) {
  if (!/^[A-Za-z0-9._-]+$/.test(o.deviceId))
    throw new Error("the device id may hold letters, digits, '.', '_' and '-'");
  const ca = await loadCa(o.caKey, o.caCrt);
  // SAN type 6 is a URI.
  const san = [{ type: 6, value: `spiffe://${o.uri}/device/${o.deviceId}` }];
  const { key, cert } = signedBy(ca, { ...o, cn: o.deviceId }, san, "clientAuth");
  return writePair(o.outputDir, o.deviceId, key, cert);
}
