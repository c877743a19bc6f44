// aMQTT's shadow state documents (amqtt/contrib/shadows/states.py), in plain JSON:
// a `state` with `desired` and `reported` trees, and a `metadata` of the same shape
// whose leaves are `{ "timestamp": <seconds> }`, the time each key was last set.

/** A JSON object. */
export type JsonObject = { [key: string]: unknown };

/** `desired` and `reported` trees. */
export interface DesiredReported<T = unknown> {
  desired: { [key: string]: T };
  reported: { [key: string]: T };
}

/** A stored shadow document, as aMQTT's `StateDocument` serializes. */
export interface StateDocument {
  state: DesiredReported;
  metadata: DesiredReported;
  version?: number;
  timestamp?: number;
}

/** An update request that is not a shadow document (aMQTT raises `StateError` and answers nothing). */
export class ShadowRequestError extends Error {
  override name = "ShadowRequestError";
}

const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** An empty document. */
export const emptyDocument = (): StateDocument => ({
  state: { desired: {}, reported: {} },
  metadata: { desired: {}, reported: {} },
});

/** Per-key timestamps for every leaf of `state` (a `null` leaf keeps `null`: it deletes the key). */
export function createMetadata(state: JsonObject, timestamp: number): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(state)) {
    if (isObject(value)) out[key] = createMetadata(value, timestamp);
    else out[key] = value === null ? null : { timestamp };
  }
  return out;
}

/**
 * Read an update request: `{"state": {"desired": {...}, "reported": {...}}}`.
 * An empty object is an empty update (as aMQTT); anything else without `state` is refused.
 */
export function parseUpdate(payload: Uint8Array, now: number): StateDocument {
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(payload).toString("utf8"));
  } catch {
    throw new ShadowRequestError("payload is not valid JSON");
  }
  if (!isObject(data)) throw new ShadowRequestError("payload must be a JSON object");
  if (Object.keys(data).length > 0 && !("state" in data))
    throw new ShadowRequestError("'state' field is required");
  const state = data.state ?? {};
  if (!isObject(state)) throw new ShadowRequestError("'state' must be an object");
  const part = (name: "desired" | "reported"): JsonObject => {
    const value = state[name] ?? {};
    if (!isObject(value)) throw new ShadowRequestError(`'state.${name}' must be an object`);
    return value;
  };
  const desired = part("desired");
  const reported = part("reported");
  return {
    state: { desired, reported },
    metadata: { desired: createMetadata(desired, now), reported: createMetadata(reported, now) },
  };
}

/**
 * Deep-merge `update` into `base` (aMQTT uses `mergedeep`): objects merge, other
 * values replace, and a `null` removes the key (aMQTT stores the `null` and leaves
 * it out of every answer, so the key is gone for clients either way).
 */
export function mergeTree(base: JsonObject, update: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(update)) {
    const current = out[key];
    if (value === null) delete out[key];
    else if (isObject(value) && isObject(current)) out[key] = mergeTree(current, value);
    else out[key] = value;
  }
  return out;
}

/** `previous` with `update` applied: state and metadata merged. */
export function applyUpdate(previous: StateDocument, update: StateDocument): StateDocument {
  return {
    state: {
      desired: mergeTree(previous.state.desired, update.state.desired),
      reported: mergeTree(previous.state.reported, update.state.reported),
    },
    metadata: {
      desired: mergeTree(previous.metadata.desired, update.metadata.desired),
      reported: mergeTree(previous.metadata.reported, update.metadata.reported),
    },
  };
}

/** Equality of two JSON values (order of object keys ignored, of lists kept). */
function sameJson(a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameJson(a[k], b[k]));
  }
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  return a === b;
}

/**
 * aMQTT's `calculate_delta_update`: what `desired` has that `reported` lacks or
 * holds differently, recursing into objects (only differing leaves are kept).
 */
export function deltaOf(desired: JsonObject, reported: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(desired)) {
    if (value === null) continue;
    const other = reported[key];
    if (!(key in reported)) out[key] = value;
    else if (isObject(value) && isObject(other)) {
      const inner = deltaOf(value, other);
      if (Object.keys(inner).length > 0) out[key] = inner;
    } else if (isObject(value)) {
      // A metadata leaf ({timestamp}) against a tree, or a tree against a scalar: different.
      out[key] = value;
    } else if (!sameJson(value, other)) out[key] = value;
  }
  return out;
}

/**
 * aMQTT's `calculate_iota_update`: the top-level keys whose desired value differs
 * from the reported one, and `null` for reported keys nobody desires (so a
 * device can drop them). aMQTT then strips those `null`s from the answer
 * (QUIRK: the removals never reach the device); they are kept here.
 */
export function iotaOf(desired: JsonObject, reported: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(desired)) {
    if (!(key in reported) || !sameJson(value, reported[key])) out[key] = value;
  }
  for (const key of Object.keys(reported)) if (!(key in desired)) out[key] = null;
  return out;
}
