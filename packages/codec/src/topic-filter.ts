import { MalformedPacketError } from "./errors.js";

// Topic Filter syntax, checked by the decoder in SUBSCRIBE and UNSUBSCRIBE.
//
// A filter that breaks the syntax is a Malformed Packet (0x81), not a per-filter
// refusal: 5.0 Table 3-8 keeps SUBACK 0x8F "Topic Filter invalid" for a filter
// that "is correctly formed but is not allowed" for the client, and 4.13.1 makes a
// packet that cannot be parsed per the specification a Malformed Packet. In 3.1.1
// a syntax error is a protocol violation that closes the connection
// [MQTT-4.8.0-1]. Mosquitto answers the same way (it disconnects).

const SHARE_PREFIX = "$share/";

/**
 * Throws `MalformedPacketError` when `filter` is not a valid Topic Filter at
 * `version`: empty [MQTT-4.7.3-1], `#` not alone as the last level, `+` not a
 * whole level, or (5.0) a `$share/` filter without a ShareName, with `/`, `+`
 * or `#` in it, or without a filter after it [MQTT-4.8.2-1] [MQTT-4.8.2-2].
 * In 3.1.1 `$share/...` is an ordinary filter.
 * @internal
 */
export function checkTopicFilterSyntax(filter: string, v5: boolean): void {
  if (v5 && filter.startsWith(SHARE_PREFIX)) {
    const slash = filter.indexOf("/", SHARE_PREFIX.length);
    const shareName = filter.slice(SHARE_PREFIX.length, slash < 0 ? filter.length : slash);
    if (shareName.length === 0)
      throw new MalformedPacketError(`shared subscription ${filter} has an empty ShareName`, {
        statement: "MQTT-4.8.2-1",
      });
    if (shareName.includes("+") || shareName.includes("#") || slash < 0 || slash === filter.length - 1)
      throw new MalformedPacketError(
        `shared subscription ${filter}: the ShareName must have no + or # and be followed by / and a filter`,
        { statement: "MQTT-4.8.2-2" },
      );
    checkPlainFilter(filter, slash + 1, v5);
    return;
  }
  checkPlainFilter(filter, 0, v5);
}

/** Wildcard placement in `filter[from..]`; the ids differ between 3.1.1 and 5.0. */
function checkPlainFilter(filter: string, from: number, v5: boolean): void {
  const n = filter.length;
  if (n === from) throw new MalformedPacketError("empty topic filter", { statement: "MQTT-4.7.3-1" });
  for (let i = from; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c !== 0x23 && c !== 0x2b) continue;
    const wholeLevel =
      (i === from || filter.charCodeAt(i - 1) === 0x2f) && (i + 1 === n || filter.charCodeAt(i + 1) === 0x2f);
    if (c === 0x23 && (!wholeLevel || i + 1 !== n))
      throw new MalformedPacketError(`topic filter ${filter}: # must be the whole last level`, {
        statement: v5 ? "MQTT-4.7.1-1" : "MQTT-4.7.1-2",
      });
    if (c === 0x2b && !wholeLevel)
      throw new MalformedPacketError(`topic filter ${filter}: + must be a whole level`, {
        statement: v5 ? "MQTT-4.7.1-2" : "MQTT-4.7.1-3",
      });
  }
}
