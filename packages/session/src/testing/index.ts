/**
 * @packageDocumentation
 * `@amqtt/session/testing`: run a client machine and a server machine against
 * each other with a virtual clock and no sockets.
 *
 * @example
 * ```ts
 * import { ClientSession, ServerSession } from "@amqtt/session";
 * import { pair } from "@amqtt/session/testing";
 * const p = pair(new ClientSession({ protocolVersion: 5 }), new ServerSession());
 * p.onClient((c, now) => c.connect({ clientId: "a" }, now));
 * p.client.state; // "connected"
 * p.advance(90_000); // keep-alive PINGREQ/PINGRESP happen on the virtual clock
 * ```
 */
export {
  decodeAll,
  Pair,
  type PairOptions,
  pair,
  type ShellAnswer,
  type ShellBehaviour,
  type Side,
} from "./pair.js";
