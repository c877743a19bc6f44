/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) for MQTT 5.0 enhanced authentication
 * (section 4.12): a sans-IO server and client conversation, stored
 * credentials and their password-file text form.
 */
export {
  DEFAULT_MAX_SCRAM_ITERATIONS,
  ScramClient,
  type ScramClientOptions,
} from "./client.js";
export {
  DEFAULT_SALT_BYTES,
  DEFAULT_SCRAM_ITERATIONS,
  type DeriveScramCredentialsOptions,
  deriveScramCredentials,
  formatScramCredentials,
  isScramCredentials,
  parseScramCredentials,
  SCRAM_SHA_256,
  type StoredCredentials,
  verifyScramPassword,
} from "./credentials.js";
export {
  ScramCredentialsError,
  ScramError,
  type ScramFailureReason,
  type ScramServerErrorValue,
} from "./errors.js";
export { DEFAULT_MAX_MESSAGE_BYTES } from "./messages.js";
export { saslPrepLight } from "./saslprep.js";
export {
  type ScramChallenge,
  type ScramFailure,
  ScramServer,
  type ScramServerOptions,
  type ScramSuccess,
} from "./server.js";
