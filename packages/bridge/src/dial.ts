import { type DialFunction, dialUri, type TlsSettings } from "@amqtt/client";

type Connection = Awaited<ReturnType<DialFunction>>;

/** Which address answered last; the next dial starts there. */
export interface FailoverState {
  /** Index into the addresses of the one connected last (or tried first next). */
  current: number;
  /** Protocol level | 0x80 in the next CONNECT (Mosquitto's bridge bit, 3.1.1 `try_private`). */
  bridgeBit: boolean;
}

/**
 * A `dial` for `MQTTClient` that ignores the URI it is given and tries the
 * bridge's addresses in turn, from the last one that worked (fail-over). Each
 * attempt of the client's reconnect loop walks the whole list once before it
 * backs off. With `state.bridgeBit`, the first bytes written (the CONNECT)
 * get the high bit of their protocol level set.
 */
export function failoverDial(addresses: readonly string[], state: FailoverState): DialFunction {
  return async (_uri: URL, tls: TlsSettings, signal: AbortSignal): Promise<Connection> => {
    let lastError: unknown;
    for (let i = 0; i < addresses.length; i++) {
      if (signal.aborted) break;
      const index = (state.current + i) % addresses.length;
      try {
        const connection = await dialUri(new URL(addresses[index] as string), tls);
        state.current = index;
        if (state.bridgeBit) markFirstConnect(connection);
        return connection;
      } catch (error) {
        lastError = error;
      }
    }
    // The next attempt starts with the address after the one tried first.
    state.current = (state.current + 1) % addresses.length;
    throw lastError ?? new Error("dial aborted");
  };
}

/** A `dial` that refuses (throws) while `allowed()` is false: a node that lost the bridge's lease never reconnects. */
export function fencedDial(dial: DialFunction, allowed: () => boolean): DialFunction {
  return (uri, tls, signal) => {
    if (!allowed()) return Promise.reject(new Error("this node does not hold the bridge's lease"));
    return dial(uri, tls, signal);
  };
}

/** Set the bridge bit in the protocol level of the CONNECT, the first packet written. */
function markFirstConnect(connection: Connection): void {
  const send = connection.send.bind(connection);
  let first = true;
  connection.send = (chunk: Uint8Array): boolean => {
    if (!first) return send(chunk);
    first = false;
    return send(withBridgeBit(chunk));
  };
}

/**
 * The CONNECT bytes with protocol level | 0x80: fixed header (1 byte), Remaining
 * Length (1 to 4 bytes), protocol name (`00 04 M Q T T`), then the level.
 */
export function withBridgeBit(connect: Uint8Array): Uint8Array {
  if (connect[0] !== 0x10) return connect;
  let offset = 1;
  while (offset < 5 && ((connect[offset] as number) & 0x80) !== 0) offset++;
  const level = offset + 1 + 6;
  if (level >= connect.length) return connect;
  const copy = connect.slice();
  copy[level] = (copy[level] as number) | 0x80;
  return copy;
}
