import { randomBytes } from "../lazy-crypto.js";

const ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** A client id for a client that sent none: `amqtt/` and 16 random letters and digits, as aMQTT. */
export function generateClientId(): string {
  const bytes = randomBytes(16);
  let id = "amqtt/";
  for (const b of bytes) id += ID_CHARS[b % ID_CHARS.length];
  return id;
}
