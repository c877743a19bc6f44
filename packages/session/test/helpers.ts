import { encode, type Packet, type ProtocolVersion } from "@amqtt/codec";
import {
  ClientSession,
  type ClientSessionOptions,
  ServerSession,
  type ServerSessionOptions,
} from "../src/index.js";
import { type Pair, type PairOptions, pair } from "../src/testing/index.js";

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A pair of fresh machines at `version`, optionally connected with `clientId`. */
export function makePair(
  version: ProtocolVersion,
  options: { client?: ClientSessionOptions; server?: ServerSessionOptions; pair?: PairOptions } = {},
): Pair {
  return pair(
    new ClientSession({ protocolVersion: version, ...options.client }),
    new ServerSession(options.server),
    options.pair,
  );
}

/** A connected pair. */
export function connected(
  version: ProtocolVersion,
  options: Parameters<typeof makePair>[1] & { connect?: Parameters<ClientSession["connect"]>[0] } = {},
): Pair {
  const p = makePair(version, options);
  p.onClient((c, now) => c.connect(options.connect ?? { clientId: "c1", keepAlive: 0 }, now));
  return p;
}

/** Encode for raw injection. */
export function wire(packet: Packet, version: ProtocolVersion): Uint8Array {
  return encode(packet, version);
}

export const versions: ProtocolVersion[] = [3, 4, 5];
