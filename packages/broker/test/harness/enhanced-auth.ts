// MQTT 5.0 enhanced authentication (section 4.12) scripted on a MqttPeer: the
// AUTH exchange of a CONNECT and of a re-authentication, with SCRAM-SHA-256.
import { type PacketOf, PacketType, ReasonCode } from "@amqtt/codec";
import { type Broker, ScramClient } from "../../src/index.js";
import { describe as describePacket, MqttPeer } from "./peer.js";

/** The authentication method SCRAM-SHA-256 is announced with. */
export const SCRAM_METHOD = "SCRAM-SHA-256";

/** Where an enhanced-auth CONNECT ended: the CONNACK, and whether the server proved itself. */
export interface ScramOutcome {
  peer: MqttPeer;
  connack: PacketOf<typeof PacketType.CONNACK>;
  /** True when the successful CONNACK carried a server-final message `ScramClient.verify` accepted. */
  serverVerified: boolean;
}

/**
 * Open a 5.0 peer and CONNECT with SCRAM-SHA-256: client-first in the CONNECT,
 * client-final in an AUTH 0x18 answering the broker's AUTH 0x18, then the CONNACK
 * [MQTT-4.12.0-1]. Resolves with the CONNACK whatever its reason code (a refusal
 * is an outcome, not a failure); any other packet fails the step.
 */
export async function scramConnect(
  broker: Broker,
  clientId: string,
  username: string,
  password: string,
): Promise<ScramOutcome> {
  const peer = MqttPeer.open(broker, { version: 5 });
  const scram = new ScramClient(username, password);
  peer.connect(clientId, {
    properties: { authenticationMethod: SCRAM_METHOD, authenticationData: scram.first() },
  });
  // SCRAM has one round trip before the CONNACK; a refusal may come at once.
  const first = await peer.next();
  let connack: PacketOf<typeof PacketType.CONNACK>;
  if (first.type === PacketType.AUTH) {
    expectAuth(first, ReasonCode.CONTINUE_AUTHENTICATION);
    peer.send(authPacket(ReasonCode.CONTINUE_AUTHENTICATION, scram.final(dataOf(first))));
    connack = await peer.expect("connack");
  } else if (first.type === PacketType.CONNACK) connack = first;
  else throw new Error(`expected AUTH or CONNACK, got ${describePacket(first)}`);
  if (connack.reasonCode !== ReasonCode.SUCCESS) return { peer, connack, serverVerified: false };
  if (connack.properties?.authenticationMethod !== SCRAM_METHOD)
    throw new Error("a successful CONNACK must name the CONNECT's method [MQTT-4.12.0-5]");
  const serverFinal = connack.properties.authenticationData;
  if (serverFinal === undefined) throw new Error("a successful SCRAM CONNACK without server-final data");
  scram.verify(serverFinal); // throws when the server's proof is wrong
  return { peer, connack, serverVerified: true };
}

/**
 * Re-authenticate a connected peer with SCRAM-SHA-256 [MQTT-4.12.1-1]: AUTH 0x19
 * with client-first, the broker's AUTH 0x18, our AUTH 0x18 with client-final,
 * and the broker's AUTH 0x00 with server-final, which must verify.
 */
export async function scramReauthenticate(peer: MqttPeer, username: string, password: string): Promise<void> {
  const scram = new ScramClient(username, password);
  peer.send(authPacket(ReasonCode.RE_AUTHENTICATE, scram.first()));
  const serverFirst = await peer.expect("auth");
  expectAuth(serverFirst, ReasonCode.CONTINUE_AUTHENTICATION);
  peer.send(authPacket(ReasonCode.CONTINUE_AUTHENTICATION, scram.final(dataOf(serverFirst))));
  const done = await peer.expect("auth");
  expectAuth(done, ReasonCode.SUCCESS);
  scram.verify(dataOf(done));
}

function authPacket(reasonCode: number, authenticationData: Uint8Array): PacketOf<typeof PacketType.AUTH> {
  return {
    type: PacketType.AUTH,
    reasonCode,
    properties: { authenticationMethod: SCRAM_METHOD, authenticationData },
  };
}

/** The broker's AUTH must name the CONNECT's method [MQTT-4.12.0-5] and carry the expected reason code. */
function expectAuth(packet: PacketOf<typeof PacketType.AUTH>, reasonCode: number): void {
  const got = packet.reasonCode ?? ReasonCode.SUCCESS;
  if (got !== reasonCode) throw new Error(`expected AUTH reason ${reasonCode}, got ${got}`);
  if (packet.properties?.authenticationMethod !== SCRAM_METHOD)
    throw new Error(`AUTH with method ${packet.properties?.authenticationMethod}, not ${SCRAM_METHOD}`);
}

function dataOf(packet: PacketOf<typeof PacketType.AUTH>): Uint8Array {
  const data = packet.properties?.authenticationData;
  if (data === undefined) throw new Error("AUTH without authentication data");
  return data;
}
