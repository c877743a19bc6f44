import { PacketType, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { SessionUsageError } from "../src/index.js";
import { bytes, connected, makePair, wire } from "./helpers.js";

const method = "SCRAM-TEST";

describe("enhanced authentication (5.0 AUTH)", () => {
  it("runs a challenge/response exchange as questions to both shells", () => {
    const p = makePair(5, {
      pair: {
        shell: {
          onConnect: (r, s, now) =>
            s.authContinue(bytes(`challenge-for-${new TextDecoder().decode(r.authentication?.data)}`), now),
          onClientAuth: (r, c, now) =>
            c.authContinue(bytes(`answer-to-${new TextDecoder().decode(r.data)}`), now),
          onServerAuth: (r, s, now) =>
            new TextDecoder().decode(r.data) === "answer-to-challenge-for-hello"
              ? s.accept({ authenticationData: bytes("final") }, now)
              : s.refuse(ReasonCode.NOT_AUTHORIZED, now),
        },
      },
    });
    p.onClient((c, now) =>
      c.connect(
        { clientId: "c", properties: { authenticationMethod: method, authenticationData: bytes("hello") } },
        now,
      ),
    );
    expect(p.packets("client").map((x) => x.type)).toEqual([PacketType.CONNECT, PacketType.AUTH]);
    expect(p.packets("server").map((x) => x.type)).toEqual([PacketType.AUTH, PacketType.CONNACK]);
    // A successful CONNACK repeats the method [MQTT-4.12.0-5].
    expect(p.packets("server")[1]).toMatchObject({
      properties: { authenticationMethod: method, authenticationData: bytes("final") },
    });
    expect(p.client.state).toBe("connected");
  });

  it("refuses a failed exchange with CONNACK", () => {
    const p = makePair(5, {
      pair: { shell: { onConnect: (_r, s, now) => s.refuse(ReasonCode.BAD_AUTHENTICATION_METHOD, now) } },
    });
    p.onClient((c, now) =>
      c.connect({ clientId: "c", properties: { authenticationMethod: "unknown" } }, now),
    );
    expect(p.events("client", "disconnected")).toMatchObject([
      { reasonCode: ReasonCode.BAD_AUTHENTICATION_METHOD },
    ]);
  });

  it("re-authenticates with AUTH 0x19 and ends with AUTH 0x00", () => {
    const p = makePair(5, {
      pair: {
        shell: {
          onServerAuth: (r, s, now) =>
            r.reasonCode === ReasonCode.RE_AUTHENTICATE
              ? s.authContinue(bytes("more?"), now)
              : s.authSucceed(bytes("ok"), now),
          onClientAuth: (_r, c, now) => c.authContinue(bytes("here"), now),
        },
      },
    });
    p.onClient((c, now) => c.connect({ clientId: "c", properties: { authenticationMethod: method } }, now));
    p.onClient((c, now) => c.reauthenticate(bytes("again"), now));
    expect(p.packets("client").slice(1)).toMatchObject([
      {
        type: PacketType.AUTH,
        reasonCode: ReasonCode.RE_AUTHENTICATE,
        properties: { authenticationMethod: method },
      },
      { type: PacketType.AUTH, reasonCode: ReasonCode.CONTINUE_AUTHENTICATION },
    ]);
    expect(p.events("client", "authSucceeded")).toMatchObject([{ data: bytes("ok") }]);
    expect(p.events("server", "authRequest").map((r) => r.phase)).toEqual(["reauth", "reauth"]);
  });

  it("treats an AUTH with another method as a protocol error", () => {
    const p = connected(5, {
      connect: { clientId: "c", keepAlive: 0, properties: { authenticationMethod: method } },
    });
    p.inject(
      "server",
      wire({ type: PacketType.AUTH, reasonCode: 0x19, properties: { authenticationMethod: "other" } }, 5),
    );
    expect(p.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.PROTOCOL_ERROR,
    });
  });

  it("allows only AUTH or DISCONNECT before CONNACK while authenticating [MQTT-3.1.2-30]", () => {
    const p = makePair(5, { pair: { shell: { onConnect: () => "manual" } } });
    p.onClient((c, now) => c.connect({ clientId: "c", properties: { authenticationMethod: method } }, now));
    const out = p.inject("server", wire({ type: PacketType.PINGREQ }, 5));
    const error = out.find((a) => a.kind === "protocolError");
    expect(error?.kind === "protocolError" && error.error.statement).toBe("MQTT-3.1.2-30");
    expect(out.some((a) => a.kind === "send")).toBe(false);
  });

  it("throws on auth commands when no exchange is in progress", () => {
    const p = connected(5);
    expect(() => p.client.reauthenticate(undefined, 0)).toThrow(SessionUsageError);
    expect(() => p.server.authSucceed(undefined, 0)).toThrow(SessionUsageError);
    expect(() => p.server.authContinue(undefined, 0)).toThrow(SessionUsageError);
  });
});
