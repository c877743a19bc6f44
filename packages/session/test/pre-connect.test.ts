import {
  ConnectExpectedError,
  encode,
  type Packet,
  PacketTooLargeError,
  PacketType,
  ReasonCode,
} from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAXIMUM_PACKET_SIZE_BEFORE_CONNECT,
  ServerSession,
  type SessionAction,
} from "../src/index.js";

const kinds = (actions: SessionAction[]) => actions.map((a) => a.kind);
const errorOf = (actions: SessionAction[]) =>
  actions.find((a): a is Extract<SessionAction, { kind: "protocolError" }> => a.kind === "protocolError")
    ?.error;

function connectOf(extra: { password?: Uint8Array; willPayload?: Uint8Array } = {}): Packet {
  return {
    type: PacketType.CONNECT,
    protocolName: "MQTT",
    protocolVersion: 5,
    clean: true,
    keepAlive: 0,
    clientId: "c1",
    ...(extra.password === undefined ? {} : { username: "u", password: extra.password }),
    ...(extra.willPayload === undefined
      ? {}
      : { will: { topic: "w", payload: extra.willPayload, qos: 0, retain: false } }),
  } as Packet;
}

describe("server session before CONNECT [MQTT-3.1.0-1]", () => {
  it("closes on a first byte that is not a CONNECT header alone, without CONNACK [MQTT-3.1.0-1]", () => {
    const server = new ServerSession({ connectTimeoutMs: 60_000 });
    server.start(0);
    // 0x30 = PUBLISH: its length has not arrived, the byte alone decides.
    const actions = server.received(new Uint8Array([0x30]), 1);
    expect(kinds(actions)).toEqual(["protocolError", "close", "disconnected"]);
    expect(errorOf(actions)).toBeInstanceOf(ConnectExpectedError);
    expect(errorOf(actions)).toMatchObject({
      statement: "MQTT-3.1.0-1",
      reasonCode: ReasonCode.PROTOCOL_ERROR,
    });
    expect(server.isClosed).toBe(true);
  });

  it("closes on a CONNECT declaring 256 MiB from its fixed header, without CONNACK or buffering", () => {
    const server = new ServerSession({ maximumPacketSize: 8 * 1024 * 1024 });
    const actions = server.received(new Uint8Array([0x10, 0xff, 0xff, 0xff, 0x7f]), 0);
    expect(kinds(actions)).toEqual(["protocolError", "close", "disconnected"]);
    const error = errorOf(actions);
    expect(error).toBeInstanceOf(PacketTooLargeError);
    expect(error).toMatchObject({
      reasonCode: ReasonCode.PACKET_TOO_LARGE,
      limit: DEFAULT_MAXIMUM_PACKET_SIZE_BEFORE_CONNECT,
    });
    expect(server.receiveBufferBytes).toBeLessThanOrEqual(5);
  });

  it("applies maximumPacketSizeBeforeConnect, not maximumPacketSize, to the CONNECT", () => {
    const server = new ServerSession({ maximumPacketSize: 1 << 20, maximumPacketSizeBeforeConnect: 1000 });
    const bytes = encode(connectOf({ password: new Uint8Array(2000) }), 5);
    const actions = server.received(bytes.subarray(0, 5), 0);
    expect(errorOf(actions)).toMatchObject({ name: "PacketTooLargeError", limit: 1000 });
    expect(kinds(actions)).not.toContain("send");
  });

  it("takes the smaller of the two limits", () => {
    const server = new ServerSession({ maximumPacketSize: 500, maximumPacketSizeBeforeConnect: 1 << 20 });
    const actions = server.received(encode(connectOf({ password: new Uint8Array(600) }), 5), 0);
    expect(errorOf(actions)).toMatchObject({ name: "PacketTooLargeError", limit: 500 });
  });

  it("accepts by default a CONNECT with a 65,535-byte password and a 30,000-byte will payload", () => {
    const server = new ServerSession();
    const packet = connectOf({ password: new Uint8Array(65_535), willPayload: new Uint8Array(30_000) });
    const actions = server.received(encode(packet, 5), 0);
    expect(kinds(actions)).toEqual(["connectRequest"]);
  });

  it("holds memory in step with the bytes received, not with the CONNECT's declared length", () => {
    const limit = 4 * 1024 * 1024;
    const server = new ServerSession({ maximumPacketSize: limit, maximumPacketSizeBeforeConnect: limit });
    const bytes = encode(
      connectOf({ password: new Uint8Array(65_535), willPayload: new Uint8Array(65_535) }),
      5,
    );
    let received = 0;
    for (let at = 0; at < bytes.length - 1; at += 4096) {
      const chunk = bytes.subarray(at, Math.min(at + 4096, bytes.length - 1));
      expect(server.received(chunk, 0)).toEqual([]);
      received += chunk.length;
      // Geometric growth: never more than twice what arrived (plus the first 1 KiB and the header scratch).
      expect(server.receiveBufferBytes).toBeLessThanOrEqual(5 + Math.max(1024, 2 * received));
    }
    expect(kinds(server.received(bytes.subarray(bytes.length - 1), 0))).toEqual(["connectRequest"]);
  });

  it("lifts the pre-CONNECT limit once the CONNECT is decoded", () => {
    const server = new ServerSession({ maximumPacketSizeBeforeConnect: 1024 });
    server.received(encode(connectOf(), 4), 0);
    server.accept({}, 0);
    const big: Packet = {
      type: PacketType.PUBLISH,
      topic: "t",
      qos: 0,
      retain: false,
      dup: false,
      payload: new Uint8Array(100_000),
    } as Packet;
    const actions = server.received(encode(big, 4), 1);
    expect(kinds(actions)).toEqual(["message"]);
  });
});
