/**
 * The server side of one SCRAM-SHA-256 conversation (RFC 5802 section 5,
 * RFC 7677), sans-IO: bytes in, bytes out, no sockets and no timers.
 *
 * In MQTT 5.0 (section 4.12, Enhanced authentication) the conversation maps
 * onto packets like this, with Authentication Method "SCRAM-SHA-256" on every
 * packet [MQTT-4.12.0-5]:
 *
 * | client                                   | server                                    |
 * | ---------------------------------------- | ----------------------------------------- |
 * | CONNECT, Authentication Data = client-first | `start()`: AUTH 0x18 with `serverFirst` [MQTT-4.12.0-2] |
 * | AUTH 0x18 with client-final [MQTT-4.12.0-3] | `finish()`: CONNACK 0x00 with `serverFinal` |
 *
 * Re-authentication [MQTT-4.12.1-1] runs a fresh `ScramServer` on AUTH 0x19
 * (client-first), answers AUTH 0x18 (server-first), and ends with AUTH 0x00
 * carrying `serverFinal`; the shell should also check that the `username` is
 * the one the connection was authenticated as. On any failure the shell sends
 * CONNACK (or DISCONNECT, when re-authenticating [MQTT-4.12.1-2]) with a
 * reason code of 0x80 or above and closes the connection [MQTT-4.12.0-4].
 */
import { randomBytes } from "../../lazy-crypto.js";
import { DEFAULT_SALT_BYTES, DEFAULT_SCRAM_ITERATIONS, type StoredCredentials } from "./credentials.js";
import {
  constantTimeEqual,
  encodeBase64,
  encodeUtf8,
  hmacSha256,
  SHA256_BYTES,
  sha256,
  xor,
} from "./crypto.js";
import { ScramError, type ScramFailureReason, type ScramServerErrorValue } from "./errors.js";
import {
  type ClientFirst,
  DEFAULT_MAX_MESSAGE_BYTES,
  decodeMessage,
  isPrintable,
  parseClientFinal,
  parseClientFirst,
} from "./messages.js";

/** Options of {@link ScramServer}; one object can be shared by every conversation. */
export interface ScramServerOptions {
  /** The credentials of a (prepared) user name, or `undefined` when there is no such user. */
  lookup(username: string): StoredCredentials | undefined | Promise<StoredCredentials | undefined>;
  /**
   * Key for the fake salts of unknown users. Keep it stable (and secret) across
   * restarts, or an attacker who sees the salt of a name change after a restart
   * learns that the name is not a user. Default: random, once per process.
   */
  readonly secret?: Uint8Array;
  /** Iteration count announced for unknown users; match your password file. Default 4096. */
  readonly unknownUserIterations?: number;
  /** Stored credentials with fewer iterations are refused (RFC 7677 section 4). Default 4096. */
  readonly minIterations?: number;
  /** Largest client message accepted, in bytes. Default {@link DEFAULT_MAX_MESSAGE_BYTES}. */
  readonly maxMessageBytes?: number;
  /** The server's part of the nonce; printable ASCII without ",". Default: 18 random bytes in base64. */
  readonly createNonce?: () => string;
}

/** `start()` accepted the client-first-message: send `serverFirst` (AUTH 0x18). */
export interface ScramChallenge {
  readonly ok: true;
  /** The server-first-message. */
  readonly serverFirst: Uint8Array;
}

/** `finish()` verified the client: send `serverFinal` (CONNACK 0x00, or AUTH 0x00 on re-authentication). */
export interface ScramSuccess {
  readonly ok: true;
  /** The server-final-message, `v=<ServerSignature>`. */
  readonly serverFinal: Uint8Array;
  /** The authenticated user name (after SASLprep-light). */
  readonly username: string;
}

/**
 * A step failed. `reason` is the true cause, for logs; it may be
 * `unknown-user`, which must not reach the client. `serverFinal` is the
 * `e=<value>` message that is safe to send, where the value hides unknown users.
 */
export interface ScramFailure {
  readonly ok: false;
  /** Why the step failed. */
  readonly reason: ScramFailureReason;
  /** The error, with a message for logs. */
  readonly error: ScramError;
  /** The `e=` value sent to the client. */
  readonly serverError: ScramServerErrorValue;
  /** `e=<serverError>`: a server-final-message reporting the failure (RFC 5802 section 7). */
  readonly serverFinal: Uint8Array;
}

/** What the server knows after `start()`. */
interface Challenged {
  readonly first: ClientFirst;
  readonly serverFirst: string;
  readonly nonce: string;
  readonly credentials: StoredCredentials;
  readonly known: boolean;
}

let processSecret: Uint8Array | undefined;

/** One SCRAM-SHA-256 conversation, server side. Use a new instance per authentication. */
export class ScramServer {
  readonly #options: ScramServerOptions;
  #state: "new" | "starting" | "done" | Challenged = "new";

  /** Make a conversation; nothing happens until `start()`. */
  constructor(options: ScramServerOptions) {
    this.#options = options;
  }

  /**
   * Take the client-first-message (the CONNECT's, or a re-authenticating
   * AUTH's, Authentication Data) and answer with the server-first-message.
   * An unknown user gets a plausible challenge too, and fails in `finish()`.
   * Rejects only if `lookup` does.
   */
  async start(clientFirst: Uint8Array): Promise<ScramChallenge | ScramFailure> {
    if (this.#state !== "new")
      return this.#fail(new ScramError("out-of-order", "start() was already called"));
    this.#state = "starting";
    let first: ClientFirst;
    try {
      const text = decodeMessage(clientFirst, this.#maxBytes, "client-first-message");
      first = parseClientFirst(text);
    } catch (error) {
      return this.#fail(error);
    }
    let credentials: StoredCredentials | undefined;
    try {
      credentials = await this.#options.lookup(first.username);
    } catch (error) {
      this.#state = "done";
      throw error;
    }
    if (credentials !== undefined) {
      const problem = this.#checkCredentials(credentials);
      if (problem !== undefined)
        return this.#fail(
          new ScramError("invalid-credentials", `stored credentials of this user ${problem}`),
        );
    }
    const known = credentials !== undefined;
    credentials ??= fakeCredentials(first.username, this.#secret, this.#options.unknownUserIterations);
    const nonce = first.nonce + this.#serverNonce();
    const serverFirst = `r=${nonce},s=${encodeBase64(credentials.salt)},i=${credentials.iterations}`;
    this.#state = { first, serverFirst, nonce, credentials, known };
    return { ok: true, serverFirst: encodeUtf8(serverFirst) };
  }

  /**
   * Take the client-final-message (the AUTH 0x18's Authentication Data) and,
   * if the proof is right, answer with the server-final-message.
   */
  finish(clientFinal: Uint8Array): ScramSuccess | ScramFailure {
    const state = this.#state;
    if (typeof state === "string")
      return this.#fail(new ScramError("out-of-order", `finish() called when the conversation is ${state}`));
    try {
      const final = parseClientFinal(decodeMessage(clientFinal, this.#maxBytes, "client-final-message"));
      // RFC 5802 section 5.1 "c": without channel binding data, c= is base64 of the GS2 header.
      if (final.channelBinding !== encodeBase64(encodeUtf8(state.first.gs2Header)))
        throw new ScramError("channel-bindings-dont-match", "c= does not repeat the GS2 header");
      // RFC 5802 section 5.1 "r": client-final must echo the combined nonce unchanged.
      if (final.nonce !== state.nonce)
        throw new ScramError("nonce-mismatch", "r= is not this conversation's nonce");
      const authMessage = `${state.first.bare},${state.serverFirst},${final.withoutProof}`;
      const { storedKey, serverKey } = state.credentials;
      // RFC 5802 section 3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); compare H(ClientKey).
      const clientKey = xor(final.proof, hmacSha256(storedKey, authMessage));
      const proofMatches = constantTimeEqual(sha256(clientKey), storedKey);
      if (!state.known) throw new ScramError("unknown-user", `no user "${state.first.username}"`);
      if (!proofMatches) throw new ScramError("invalid-proof", "the client proof is wrong (wrong password)");
      this.#state = "done";
      const serverSignature = hmacSha256(serverKey, authMessage);
      return {
        ok: true,
        serverFinal: encodeUtf8(`v=${encodeBase64(serverSignature)}`),
        username: state.first.username,
      };
    } catch (error) {
      return this.#fail(error);
    }
  }

  get #maxBytes(): number {
    return this.#options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  get #secret(): Uint8Array {
    if (this.#options.secret !== undefined) return this.#options.secret;
    processSecret ??= new Uint8Array(randomBytes(32));
    return processSecret;
  }

  #serverNonce(): string {
    const nonce = this.#options.createNonce?.() ?? randomBytes(18).toString("base64");
    if (!isPrintable(nonce)) throw new TypeError("createNonce() must return printable ASCII without ','");
    return nonce;
  }

  #checkCredentials(credentials: StoredCredentials): string | undefined {
    const min = this.#options.minIterations ?? DEFAULT_SCRAM_ITERATIONS;
    if (!Number.isSafeInteger(credentials.iterations) || credentials.iterations < min)
      return `have ${credentials.iterations} iterations, fewer than ${min}`;
    if (credentials.salt.length === 0) return "have an empty salt";
    if (credentials.storedKey.length !== SHA256_BYTES || credentials.serverKey.length !== SHA256_BYTES)
      return `have keys that are not ${SHA256_BYTES} bytes`;
    return undefined;
  }

  #fail(error: unknown): ScramFailure {
    this.#state = "done";
    if (!(error instanceof ScramError)) throw error;
    const serverError = PUBLIC_ERROR[error.reason] ?? "other-error";
    return {
      ok: false,
      reason: error.reason,
      error,
      serverError,
      serverFinal: encodeUtf8(`e=${serverError}`),
    };
  }
}

/** The `e=` value sent for each failure; unknown users look like wrong passwords. */
const PUBLIC_ERROR: Partial<Record<ScramFailureReason, ScramServerErrorValue>> = {
  "malformed-message": "invalid-encoding",
  "message-too-large": "invalid-encoding",
  "invalid-username-encoding": "invalid-username-encoding",
  "extensions-not-supported": "extensions-not-supported",
  "channel-binding-not-supported": "channel-binding-not-supported",
  "channel-bindings-dont-match": "channel-bindings-dont-match",
  "unknown-user": "invalid-proof",
  "invalid-proof": "invalid-proof",
};

/**
 * Credentials for a user who does not exist: a salt that is a keyed hash of
 * the name (stable, like a real user's, yet unguessable without the secret),
 * and keys no proof can match.
 */
function fakeCredentials(username: string, secret: Uint8Array, iterations?: number): StoredCredentials {
  const key = (label: string) => hmacSha256(secret, `${label}\u0000${username}`);
  return {
    salt: key("salt").subarray(0, DEFAULT_SALT_BYTES),
    iterations: iterations ?? DEFAULT_SCRAM_ITERATIONS,
    storedKey: key("stored-key"),
    serverKey: key("server-key"),
  };
}
