/** What replaces a secret in the configuration the API shows. */
export const REDACTED = "[redacted]";

const secretKey = /pass(word|wd)?|secret|token|credential|private|api_?key|^key$|cadata/i;

/**
 * A copy of `value` fit to show: values of keys that name secrets (passwords,
 * tokens, secret keys, inline CA data) replaced, and the password of any URL
 * (`scheme://user:password@host`) masked. File paths stay: they are not secrets.
 */
export function redact(value: unknown, key = ""): unknown {
  if (typeof value === "string") {
    if (secretKey.test(key) && !/file$|path$|dir$/i.test(key)) return REDACTED;
    return value.replace(/(\/\/[^:/@\s]+):([^@/\s]+)@/g, `$1:${REDACTED}@`);
  }
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
