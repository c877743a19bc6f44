import { ClientError } from "./errors.js";

/** Default port of each scheme the client speaks. */
export const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  "mqtt:": 1883,
  "mqtts:": 8883,
  "ws:": 80,
  "wss:": 443,
  /** `unix:///path/to/socket`: no port; the path is the socket file. */
  "unix:": 0,
};

/** A broker URI taken apart. */
export interface BrokerUri {
  /** The URI without credentials, the default port filled in. */
  url: URL;
  /** User name from the URI, URL-decoded. */
  username: string | undefined;
  /** Password from the URI, URL-decoded. */
  password: string | undefined;
}

/**
 * Parse `mqtt://`, `mqtts://`, `ws://`, `wss://` or `unix:///path` URIs, with credentials allowed
 * (`mqtt://user:secret@host`). @throws ClientError for another scheme or a bad URI.
 */
export function parseBrokerUri(uri: string): BrokerUri {
  let url: URL;
  try {
    url = new URL(uri);
  } catch (cause) {
    throw new ClientError(`invalid broker URI "${uri}"`, { cause });
  }
  const port = DEFAULT_PORTS[url.protocol];
  if (port === undefined)
    throw new ClientError(`unsupported scheme "${url.protocol}" (mqtt, mqtts, ws, wss, unix)`);
  const username = url.username === "" ? undefined : decodeURIComponent(url.username);
  const password = url.password === "" ? undefined : decodeURIComponent(url.password);
  url.username = "";
  url.password = "";
  if (url.port === "" && port !== 0) url.port = String(port);
  return { url, username, password };
}
