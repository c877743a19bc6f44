import type { SessionRecord, StoredMessage } from "./types.js";

/** A copy of a message that shares no mutable part with the original. @internal */
export function copyMessage<T extends StoredMessage>(message: T): T {
  const copy: T = { ...message, payload: new Uint8Array(message.payload) };
  // Properties hold arrays and bytes (user properties, correlation data).
  if (message.properties !== undefined) copy.properties = structuredClone(message.properties);
  return copy;
}

/** A deep copy of a session record; `Buffer`s come back as plain `Uint8Array`s. @internal */
export function copySession(record: SessionRecord): SessionRecord {
  return structuredClone(record);
}
