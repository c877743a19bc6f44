// JSON text for plain data that may hold bytes (session records, message properties).
// A Uint8Array is written as { "$u8": "<base64>" }. A plain object whose only key is
// "$u8" or "$obj" is wrapped as { "$obj": {...} }, so every value reads back as written.

const BYTES = "$u8";
const ESCAPE = "$obj";

function isTagShaped(value: object): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === BYTES || keys[0] === ESCAPE);
}

function encodeValue(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return { [BYTES]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  }
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = encodeValue(v);
    return isTagShaped(value) ? { [ESCAPE]: out } : out;
  }
  return value;
}

function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (isTagShaped(record)) {
      const bytes = record[BYTES];
      if (typeof bytes === "string") return new Uint8Array(Buffer.from(bytes, "base64"));
      return decodeObject(record[ESCAPE] as Record<string, unknown>);
    }
    return decodeObject(record);
  }
  return value;
}

function decodeObject(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) out[key] = decodeValue(v);
  return out;
}

/**
 * JSON text of `value`, bytes included; `undefined` fields are left out. Stores
 * keep session records and message properties in this form.
 */
export function toTaggedJson(value: unknown): string {
  return JSON.stringify(encodeValue(value));
}

/**
 * The value {@link toTaggedJson} wrote, bytes as plain `Uint8Array`s.
 */
export function fromTaggedJson<T>(text: string): T {
  return decodeValue(JSON.parse(text)) as T;
}
