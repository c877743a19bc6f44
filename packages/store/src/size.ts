import type { StoredMessage } from "./types.js";

const encoder = new TextEncoder();

function utf8Length(text: string): number {
  // Fast path: ASCII strings take one byte per code unit.
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return encoder.encode(text).byteLength;
  }
  return text.length;
}

/**
 * The size a message counts for in the byte bounds of queues and retained
 * messages: the UTF-8 bytes of the topic, the payload bytes, and the bytes of the
 * string and binary properties (content type, response topic, correlation data,
 * user properties). Every store uses this one definition, so bounds agree.
 */
export function storedMessageSize(message: StoredMessage): number {
  let size = utf8Length(message.topic) + message.payload.byteLength;
  const p = message.properties;
  if (p !== undefined) {
    if (p.contentType !== undefined) size += utf8Length(p.contentType);
    if (p.responseTopic !== undefined) size += utf8Length(p.responseTopic);
    if (p.correlationData !== undefined) size += p.correlationData.byteLength;
    if (p.userProperties !== undefined) {
      for (const [name, value] of p.userProperties) size += utf8Length(name) + utf8Length(value);
    }
  }
  return size;
}
