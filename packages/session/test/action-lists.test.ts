import { PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { ServerSession, type SessionAction } from "../src/index.js";
import { bytes, wire } from "./helpers.js";

/** A server session past CONNECT/CONNACK at 5.0, asking about every PUBLISH. */
function connectedServer(): ServerSession {
  const server = new ServerSession({ answerPublishes: true });
  server.start(0);
  server.received(
    wire({ type: PacketType.CONNECT, protocolVersion: 5, clientId: "c", clean: true, keepAlive: 0 }, 5),
    0,
  );
  server.accept({ sessionPresent: false }, 0);
  return server;
}

describe("actions appended to the caller's list", () => {
  it("received, answerPublish and deliver append to the list they are given and return it", () => {
    const server = connectedServer();
    const publish = wire(
      {
        type: PacketType.PUBLISH,
        topic: "t",
        payload: bytes("m"),
        qos: 1,
        retain: false,
        dup: false,
        packetId: 7,
      },
      5,
    );
    const first: SessionAction[] = [];
    expect(server.received(publish, 1, first)).toBe(first);
    const request = first.find((a) => a.kind === "publishRequest");
    expect(request?.kind).toBe("publishRequest");
    const answered: SessionAction[] = [];
    const requestId = request?.kind === "publishRequest" ? request.requestId : -1;
    expect(server.answerPublish(requestId, 0, 2, undefined, answered)).toBe(answered);
    expect(answered.map((a) => a.kind)).toEqual(["message", "send"]);
    const delivered: SessionAction[] = [];
    expect(server.deliver({ topic: "t", payload: bytes("m"), qos: 0 }, 3, undefined, delivered)).toBe(
      delivered,
    );
    expect(delivered.filter((a) => a.kind === "send")).toHaveLength(1);
  });
});
