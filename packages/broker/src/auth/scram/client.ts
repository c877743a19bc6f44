/**
 * The client side of one SCRAM-SHA-256 conversation (RFC 5802 section 5,
 * RFC 7677), sans-IO. In MQTT 5.0: put `first()` in the CONNECT's (or a
 * re-authenticating AUTH 0x19's) Authentication Data, answer the server's
 * AUTH 0x18 with `final(serverFirst)` in an AUTH 0x18, and check the CONNACK's
 * (or AUTH 0x00's) Authentication Data with `verify(serverFinal)`.
 *
 * Every step throws {@link ScramError} on anything it refuses.
 */
import { randomBytes } from "../../lazy-crypto.js";
import { DEFAULT_SCRAM_ITERATIONS, deriveScramKeys, preparePassword } from "./credentials.js";
import { constantTimeEqual, encodeBase64, encodeUtf8, hmacSha256, xor } from "./crypto.js";
import { ScramError } from "./errors.js";
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  decodeMessage,
  escapeSaslName,
  isPrintable,
  parseServerFinal,
  parseServerFirst,
} from "./messages.js";
import { saslPrepLight } from "./saslprep.js";

/** Default upper bound on the iteration count a server may ask for (a slow-down attack otherwise). */
export const DEFAULT_MAX_SCRAM_ITERATIONS = 1_000_000;

/** The GS2 header we send: "n" (no channel binding support), no authzid (RFC 5802 section 7). */
const GS2_HEADER = "n,,";

/** Options of {@link ScramClient}. */
export interface ScramClientOptions {
  /** The client nonce; printable ASCII without ",". Default: 18 random bytes in base64. For tests. */
  readonly nonce?: string;
  /** Refuse a server asking for fewer iterations (RFC 7677 section 4). Default 4096. */
  readonly minIterations?: number;
  /** Refuse a server asking for more iterations. Default {@link DEFAULT_MAX_SCRAM_ITERATIONS}. */
  readonly maxIterations?: number;
  /** Largest server message accepted, in bytes. Default 4096. */
  readonly maxMessageBytes?: number;
}

/** One SCRAM-SHA-256 conversation, client side. Use a new instance per authentication. */
export class ScramClient {
  readonly #password: string;
  readonly #options: ScramClientOptions;
  readonly #bare: string;
  readonly #nonce: string;
  #step: "first" | "final" | "verify" | "done" = "first";
  #expectedServerSignature: Uint8Array | undefined;

  /**
   * Prepare a conversation. Throws `ScramError` if the user name or password
   * has characters SASLprep refuses, or if `options.nonce` is not printable.
   */
  constructor(username: string, password: string, options: ScramClientOptions = {}) {
    const prepared = saslPrepLight(username);
    if (prepared === undefined || prepared === "")
      throw new ScramError(
        "invalid-username-encoding",
        "the user name is empty or has prohibited characters",
      );
    preparePassword(password);
    this.#password = password;
    this.#options = options;
    this.#nonce = options.nonce ?? randomBytes(18).toString("base64");
    if (!isPrintable(this.#nonce))
      throw new ScramError("nonce-mismatch", "the client nonce is not printable");
    this.#bare = `n=${escapeSaslName(prepared)},r=${this.#nonce}`;
  }

  /** The client-first-message: `n,,n=<user>,r=<nonce>`. */
  first(): Uint8Array {
    this.#begin("first");
    this.#step = "final";
    return encodeUtf8(GS2_HEADER + this.#bare);
  }

  /**
   * Answer the server-first-message with the client-final-message. Checks
   * that the server's nonce extends ours and that the iteration count is
   * within bounds before doing the (deliberately slow) key derivation.
   */
  final(serverFirst: Uint8Array): Uint8Array {
    this.#begin("final");
    const text = decodeMessage(serverFirst, this.#maxBytes, "server-first-message");
    const { nonce, salt, iterations } = parseServerFirst(text);
    // RFC 5802 section 5.1 "r": the server appends its nonce to ours.
    if (!nonce.startsWith(this.#nonce) || nonce.length === this.#nonce.length)
      throw new ScramError("nonce-mismatch", "the server nonce does not extend the client nonce");
    const min = this.#options.minIterations ?? DEFAULT_SCRAM_ITERATIONS;
    const max = this.#options.maxIterations ?? DEFAULT_MAX_SCRAM_ITERATIONS;
    if (iterations < min || iterations > max)
      throw new ScramError(
        "iteration-count",
        `the server asks for ${iterations} iterations, outside ${min}..${max}`,
      );
    const keys = deriveScramKeys(this.#password, salt, iterations);
    const withoutProof = `c=${encodeBase64(encodeUtf8(GS2_HEADER))},r=${nonce}`;
    const authMessage = `${this.#bare},${text},${withoutProof}`;
    // RFC 5802 section 3: ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage).
    const proof = xor(keys.clientKey, hmacSha256(keys.storedKey, authMessage));
    this.#expectedServerSignature = hmacSha256(keys.serverKey, authMessage);
    this.#step = "verify";
    return encodeUtf8(`${withoutProof},p=${encodeBase64(proof)}`);
  }

  /**
   * Check the server-final-message: returns when the server proved it knows
   * the credentials; throws `ScramError` with reason `server-error` for an
   * `e=` message, `invalid-server-signature` for a wrong signature.
   */
  verify(serverFinal: Uint8Array): void {
    this.#begin("verify");
    const result = parseServerFinal(decodeMessage(serverFinal, this.#maxBytes, "server-final-message"));
    if ("error" in result)
      throw new ScramError("server-error", `the server refused: ${result.error}`, {
        serverError: result.error,
      });
    if (!constantTimeEqual(result.verifier, this.#expectedServerSignature!))
      throw new ScramError("invalid-server-signature", "the server signature is wrong");
  }

  get #maxBytes(): number {
    return this.#options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Enter a step; the conversation is over unless the step succeeds and moves on. */
  #begin(step: "first" | "final" | "verify"): void {
    const expected = this.#step;
    this.#step = "done";
    if (expected !== step)
      throw new ScramError(
        "out-of-order",
        expected === "done"
          ? `${step}() called after the conversation ended`
          : `${step}() called before ${expected}()`,
      );
  }
}
