/** What a redacted value is replaced with. */
export const REDACTED = "<redacted>";

// Field names that carry secrets, whoever logs them (a plugin, a store, an embedder's code,
// the admin API showing the configuration): names ending in one of these words, or its plural
// (`password`, `client_secret`, `accessToken`, `secret_key`, `tokens`, inline CA `cadata`),
// not names of files that hold them (`password_file`, `tokens_file` are paths, fine to log).
const secretKey =
  /(password|passwd|passphrase|pass|secret|token|authorization|credential|api[-_]?key|private[-_]?key|secret[-_]?key|cookie|cadata)s?$/i;
// scheme://user:password@host: the password part.
const urlPassword = /([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]+@/gi;
const MAX_DEPTH = 6;

/** Whether a field name is one whose value is never logged. */
export function isSecretKey(key: string): boolean {
  return secretKey.test(key);
}

/** `text` with the password of every URL in it replaced (`mqtt://u:<redacted>@host`). */
export function redactUrls(text: string): string {
  // A password already masked (`***`, as the stores write URLs) is left as it is.
  return text.replace(urlPassword, (whole, prefix: string) =>
    /^(\*+|<redacted>)@$/.test(whole.slice(prefix.length)) ? whole : `${prefix}${REDACTED}@`,
  );
}

/**
 * A copy of log fields safe to write: values of secret-named keys replaced,
 * URL passwords in strings replaced, cycles and depth cut (so serializing
 * never fails), bytes kept as they are for the writer to summarize.
 */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  return clean(fields, 0, new WeakSet()) as Record<string, unknown>;
}

function clean(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === "string") return redactUrls(value);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Uint8Array) return value;
  if (value instanceof Error) return { name: value.name, message: redactUrls(value.message) };
  if (seen.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[deep]";
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) out = value.map((v) => clean(v, depth + 1, seen));
  else if (value instanceof Map) out = clean(Object.fromEntries(value), depth, seen);
  else {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      copy[k] = isSecretKey(k) && v !== undefined && v !== null ? REDACTED : clean(v, depth + 1, seen);
    out = copy;
  }
  seen.delete(value);
  return out;
}
