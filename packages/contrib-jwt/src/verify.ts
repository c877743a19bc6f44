import { readFile } from "node:fs/promises";
import type { ClientInfo } from "@amqtt/broker";
import {
  createLocalJWKSet,
  errors,
  importSPKI,
  importX509,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import type { KeySource } from "./options.js";

/** Why a token was refused, for logs (never the token). */
export type TokenRefusal = "expired" | "not-yet-valid" | "bad-signature" | "wrong-algorithm" | "malformed";

/** A token's verified claims, or why it was refused. */
export type Verified = { ok: true; payload: JWTPayload } | { ok: false; why: TokenRefusal };

type PublicKey = Awaited<ReturnType<typeof importSPKI>>;
type Key = Uint8Array | PublicKey | JWTVerifyGetKey;

async function pemKey(pem: string, algorithm: string): Promise<PublicKey> {
  return pem.includes("BEGIN CERTIFICATE") ? importX509(pem, algorithm) : importSPKI(pem, algorithm);
}

/** Load the key named by the options (files are read here, once, at plugin start). */
export async function loadKey(source: KeySource): Promise<Key> {
  if (source.jwksFile !== undefined)
    return createLocalJWKSet(
      JSON.parse(await readFile(source.jwksFile, "utf8")) as Parameters<typeof createLocalJWKSet>[0],
    );
  if (source.publicKeyFile !== undefined)
    return pemKey(await readFile(source.publicKeyFile, "utf8"), source.algorithm);
  let secret = source.secretKey;
  // A file's final newline is not part of the secret.
  if (source.secretKeyFile !== undefined)
    secret = (await readFile(source.secretKeyFile, "utf8")).replace(/\r?\n$/, "");
  if (secret === undefined) throw new Error("no key configured");
  // aMQTT (PyJWT) takes a PEM public key in secret_key for asymmetric algorithms.
  if (!source.algorithm.startsWith("HS")) return pemKey(secret, source.algorithm);
  return new TextEncoder().encode(secret);
}

/**
 * Verify a token with the configured algorithm only (so `alg: none` and an
 * HS256 token signed with a public key are refused), checking `exp` and `nbf`.
 */
export async function verifyToken(token: string, key: Key, source: KeySource): Promise<Verified> {
  try {
    const options = { algorithms: [source.algorithm], clockTolerance: source.clockTolerance };
    const { payload } =
      typeof key === "function" ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
    return { ok: true, payload };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { ok: false, why: "expired" };
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === "nbf")
      return { ok: false, why: "not-yet-valid" };
    if (error instanceof errors.JOSEAlgNotAllowed) return { ok: false, why: "wrong-algorithm" };
    if (error instanceof errors.JWSSignatureVerificationFailed) return { ok: false, why: "bad-signature" };
    return { ok: false, why: "malformed" };
  }
}

/** The client's password as text: the token (none without a password). */
export const tokenOf = (client: ClientInfo): string | undefined =>
  client.password === undefined ? undefined : Buffer.from(client.password).toString("utf8");
