import { isSecretKey, REDACTED, redactUrls } from "@amqtt/broker";

/** What replaces a secret in the configuration the API shows (the broker's log marker). */
export { REDACTED };

// The broker's rule for secret field names (the one its logs follow), plus a bare `key`:
// a plugin's inline private key, which a log field named `key` (a topic, a map key) is not.
const isSecret = (key: string) => key === "key" || isSecretKey(key);

/**
 * A copy of `value` fit to show: string values of keys that name secrets (passwords,
 * tokens, secret keys, inline CA data) replaced, and the password of any URL
 * (`scheme://user:password@host`) masked, as the broker's logs do. File paths stay:
 * they are not secrets.
 */
export function redact(value: unknown, key = ""): unknown {
  if (typeof value === "string") return isSecret(key) ? REDACTED : redactUrls(value);
  if (value instanceof Uint8Array) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redact(v, key));
  if (value instanceof Map) return redact(Object.fromEntries(value), key);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Plugin definitions are code, not configuration.
      if (typeof v === "function" || k === "definition") continue;
      out[k] = redact(v, k);
    }
    return out;
  }
  return value;
}
