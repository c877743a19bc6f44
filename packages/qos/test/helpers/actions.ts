import type { Packet } from "@amqtt/codec";
import type { OutgoingMessage, ReceiverAction, SenderAction } from "../../src/index.js";

/** A clock the test moves by hand. */
export class ManualClock {
  now = 0;
  advance(ms: number): number {
    this.now += ms;
    return this.now;
  }
}

/** The packets of the `send` actions, in order. */
export function sent(actions: readonly (SenderAction | ReceiverAction)[]): Packet[] {
  return actions.flatMap((a) => (a.kind === "send" ? [a.packet] : []));
}

/** The actions of one kind. */
export function ofKind<K extends (SenderAction | ReceiverAction)["kind"]>(
  actions: readonly (SenderAction | ReceiverAction)[],
  kind: K,
): Extract<SenderAction | ReceiverAction, { kind: K }>[] {
  return actions.filter((a) => a.kind === kind) as Extract<SenderAction | ReceiverAction, { kind: K }>[];
}

/** A small message; `n` goes into the payload so messages can be told apart. */
export function message(n: number, qos: 1 | 2 = 1, topic = "t"): OutgoingMessage {
  return { topic, payload: new Uint8Array([n & 0xff, (n >>> 8) & 0xff]), qos };
}
