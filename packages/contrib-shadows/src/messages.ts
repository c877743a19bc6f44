import { deltaOf, iotaOf, type JsonObject, type StateDocument } from "./states.js";

// The answers of aMQTT's shadow plugin (amqtt/contrib/shadows/messages.py), as JSON.

/** The answer topics under `$shadow/<device>/<name>/`. */
export const ANSWERS = {
  getAccepted: "get/accepted",
  getRejected: "get/rejected",
  updateAccepted: "update/accepted",
  updateRejected: "update/rejected",
  updateDocuments: "update/documents",
  updateDelta: "update/delta",
  updateIota: "update/iota",
} as const;

/** A stored version of a shadow. */
export interface ShadowVersion {
  document: StateDocument;
  version: number;
  /** Seconds since the epoch when this version was written (aMQTT's `created_at`). */
  createdAt: number;
}

/** `get/accepted` and `update/accepted`: the whole state, its metadata, the version and its time. */
export function acceptedMessage(shadow: ShadowVersion): JsonObject {
  return {
    state: shadow.document.state,
    metadata: shadow.document.metadata,
    timestamp: shadow.createdAt,
    version: shadow.version,
  };
}

/** `get/rejected` (404 when there is no shadow) and `update/rejected` (400 for a bad request). */
export function rejectedMessage(code: number, message: string, timestamp?: number): JsonObject {
  return timestamp === undefined ? { code, message } : { code, message, timestamp };
}

/** `update/delta`: what is desired but not reported, with the timestamps of those keys. */
export function deltaMessage(shadow: ShadowVersion): JsonObject {
  const { state, metadata } = shadow.document;
  return {
    state: deltaOf(state.desired, state.reported),
    metadata: deltaOf(metadata.desired, metadata.reported),
    timestamp: shadow.createdAt,
    version: shadow.version,
  };
}

/** `update/iota`: the top-level keys to change, and `null` for reported keys nobody desires. */
export function iotaMessage(shadow: ShadowVersion): JsonObject {
  const { state, metadata } = shadow.document;
  return {
    state: iotaOf(state.desired, state.reported),
    metadata: deltaOf(metadata.desired, metadata.reported),
    timestamp: shadow.createdAt,
    version: shadow.version,
  };
}

/** `update/documents`: the document before and after the update, each with its version and time. */
export function documentsMessage(previous: ShadowVersion | undefined, current: ShadowVersion): JsonObject {
  const side = (v: ShadowVersion | undefined) =>
    v === undefined
      ? {
          state: { desired: {}, reported: {} },
          metadata: { desired: {}, reported: {} },
          version: 0,
          timestamp: 0,
        }
      : {
          state: v.document.state,
          metadata: v.document.metadata,
          version: v.version,
          timestamp: v.createdAt,
        };
  return { previous: side(previous), current: side(current), timestamp: current.createdAt };
}
