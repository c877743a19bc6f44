import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import {
  type ConfigIssue,
  optionsValidator,
  type PluginValidation,
  type PluginValidationContext,
} from "@amqtt/broker";
import { z } from "zod";

/** Algorithms accepted in `algorithm` (aMQTT's list, less the two `jose` cannot verify). */
export const JWT_ALGORITHMS = [
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

/** One of the accepted algorithms. */
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

const keyFields = {
  /** aMQTT's: the HMAC secret, or (asymmetric algorithms) a PEM public key or certificate. */
  secret_key: z.string().min(1).optional(),
  /** Ours: read the secret or PEM key from this file (keeps the secret out of the YAML). */
  secret_key_file: z.string().min(1).optional(),
  /** Ours: a PEM public key (SPKI) or certificate for RS/PS/ES/EdDSA. */
  public_key_file: z.string().min(1).optional(),
  /** Ours: a JWKS document (`{"keys": [...]}`); the token's `kid` picks the key. */
  jwks_file: z.string().min(1).optional(),
  algorithm: z.string().default("HS256"),
  /** Ours: seconds of clock skew allowed when checking `exp` and `nbf`. */
  clock_tolerance: z.number().min(0).default(0),
};

const userSchema = z.strictObject({ ...keyFields, user_claim: z.string().min(1) });
const topicSchema = z.strictObject({
  ...keyFields,
  publish_claim: z.string().min(1),
  subscribe_claim: z.string().min(1),
  receive_claim: z.string().min(1),
});

/** Where the key comes from, with file paths absolute. */
export interface KeySource {
  algorithm: JwtAlgorithm;
  secretKey?: string;
  secretKeyFile?: string;
  publicKeyFile?: string;
  jwksFile?: string;
  clockTolerance: number;
}

/** Options of the user plugin. */
export interface JwtUserOptions extends KeySource {
  userClaim: string;
}

/** Options of the topic plugin. */
export interface JwtTopicOptions extends KeySource {
  publishClaim: string;
  subscribeClaim: string;
  receiveClaim: string;
}

function keySource(
  raw: z.output<typeof userSchema> | z.output<typeof topicSchema>,
  baseDir: string,
): KeySource | ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const algorithm = raw.algorithm;
  if (algorithm.toLowerCase() === "none")
    issues.push({ path: "algorithm", message: "unsigned tokens (alg none) are never accepted" });
  else if (!(JWT_ALGORITHMS as readonly string[]).includes(algorithm))
    issues.push({ path: "algorithm", message: `expected one of ${JWT_ALGORITHMS.join(", ")}` });
  const given = (["secret_key", "secret_key_file", "public_key_file", "jwks_file"] as const).filter(
    (k) => raw[k] !== undefined,
  );
  if (given.length !== 1)
    issues.push({
      path: "",
      message: `give exactly one key: secret_key, secret_key_file, public_key_file or jwks_file (got ${given.length === 0 ? "none" : given.join(", ")})`,
    });
  const symmetric = algorithm.startsWith("HS");
  if (symmetric && (raw.public_key_file !== undefined || raw.jwks_file !== undefined))
    issues.push({
      path: given[0] ?? "",
      message: `${algorithm} needs a shared secret (secret_key or secret_key_file)`,
    });
  const file = (key: "secret_key_file" | "public_key_file" | "jwks_file"): string | undefined => {
    const value = raw[key];
    if (value === undefined) return undefined;
    const full = isAbsolute(value) ? value : resolve(baseDir, value);
    if (!existsSync(full)) issues.push({ path: key, message: `file not found: ${full}` });
    return full;
  };
  const source: KeySource = { algorithm: algorithm as JwtAlgorithm, clockTolerance: raw.clock_tolerance };
  if (raw.secret_key !== undefined) source.secretKey = raw.secret_key;
  const secretKeyFile = file("secret_key_file");
  if (secretKeyFile !== undefined) source.secretKeyFile = secretKeyFile;
  const publicKeyFile = file("public_key_file");
  if (publicKeyFile !== undefined) source.publicKeyFile = publicKeyFile;
  const jwksFile = file("jwks_file");
  if (jwksFile !== undefined) source.jwksFile = jwksFile;
  return issues.length > 0 ? issues : source;
}

/** Validate the user plugin's options (aMQTT's `secret_key`, `user_claim`, `algorithm`, and ours). */
export const validateUserOptions: (
  raw: unknown,
  context: PluginValidationContext,
) => PluginValidation<JwtUserOptions> = optionsValidator(userSchema, (parsed, { baseDir }) => {
  const source = keySource(parsed, baseDir);
  return Array.isArray(source) ? source : { ...source, userClaim: parsed.user_claim };
});

/** Validate the topic plugin's options (aMQTT's `*_claim` names, and the key). */
export const validateTopicOptions: (
  raw: unknown,
  context: PluginValidationContext,
) => PluginValidation<JwtTopicOptions> = optionsValidator(topicSchema, (parsed, { baseDir }) => {
  const source = keySource(parsed, baseDir);
  if (Array.isArray(source)) return source;
  return {
    ...source,
    publishClaim: parsed.publish_claim,
    subscribeClaim: parsed.subscribe_claim,
    receiveClaim: parsed.receive_claim,
  };
});
