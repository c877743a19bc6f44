/**
 * WebSocket subprotocols a server accepts, in order of preference. A client MUST
 * offer "mqtt" [MQTT-6.0.0-3] and the server MUST select "mqtt" [MQTT-6.0.0-4];
 * "mqttv3.1" is what MQTT 3.1 clients (e.g. the `mqtt` package with protocol level 3)
 * offer instead, so it is accepted when "mqtt" is not offered.
 */
export const MQTT_SUBPROTOCOLS: readonly string[] = ["mqtt", "mqttv3.1"];

/** The subprotocol a server selects from those a client offered, or `undefined` to refuse. */
export function selectSubprotocol(offered: Iterable<string>): string | undefined {
  const set = new Set(offered);
  return MQTT_SUBPROTOCOLS.find((protocol) => set.has(protocol));
}

/** Parse a `Sec-WebSocket-Protocol` request header into the offered names. */
export function parseSubprotocols(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
}
