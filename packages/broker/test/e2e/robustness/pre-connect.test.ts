import { encode, PacketType, type ProtocolVersion, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { capturingLogger } from "../../harness/logger.js";
import { startBroker } from "../tcp.js";
import { bystanders, fixedHeader, RawClient } from "./raw-client.js";

/** A CONNECT of about 131 KiB: a 65,535-byte password and a 65,535-byte will payload. */
function bigConnect(version: ProtocolVersion, clientId: string): Uint8Array {
  return encode(
    {
      type: PacketType.CONNECT,
      protocolVersion: version,
      clean: true,
      keepAlive: 0,
      clientId,
      username: "u",
      password: new Uint8Array(65_535),
      will: { topic: "w", payload: new Uint8Array(65_535), qos: 0, retain: false },
    },
    version,
  );
}

// connect_timeout is 60 s in every case: a close seen within the default 5 s wait of
// `waitClosed` was decided by the bytes, not by the CONNECT deadline.
describe("bytes before CONNECT are judged before they are buffered", () => {
  it("a first byte that is not a CONNECT header (0x30) followed by silence is closed at once, without CONNACK [MQTT-3.1.0-1]", async () => {
    const { port, url } = await startBroker({ connect_timeout: 60 });
    const others = await bystanders(url);
    const raw = await RawClient.open(port);
    raw.write([0x30]);
    await raw.waitClosed();
    expect(raw.packets).toEqual([]);
    await others.roundTrip("after");
  });

  it("a CONNECT declaring 256 MiB (10 ff ff ff 7f) is closed at once, without CONNACK", async () => {
    const { port } = await startBroker({ connect_timeout: 60 });
    const raw = await RawClient.open(port);
    raw.write([0x10, 0xff, 0xff, 0xff, 0x7f]);
    await raw.waitClosed();
    expect(raw.packets).toEqual([]);
  });

  it("a CONNECT declaring 1 MiB, under max_packet_size but over max_packet_size_before_connect, is closed from its fixed header, without CONNACK", async () => {
    const { port, broker } = await startBroker({ connect_timeout: 60 });
    const raw = await RawClient.open(port);
    const before = broker.stats();
    const header = fixedHeader(0x10, 1024 * 1024);
    raw.write(header);
    await raw.waitClosed();
    expect(raw.packets).toEqual([]);
    // The fixed header's bytes were read; no packet was ever decoded.
    expect(broker.stats().bytesReceived - before.bytesReceived).toBe(header.length);
    expect(broker.stats().messagesReceived - before.messagesReceived).toBe(0);
  });

  it.each([4, 5] as const)(
    "max_packet_size_before_connect is the CONNECT's bound (MQTT level %i): a 131 KiB CONNECT is refused by the 128 KiB default and accepted at 256 KiB",
    async (version) => {
      const small = await startBroker({ connect_timeout: 60 });
      const refused = await RawClient.open(small.port, version);
      refused.write(bigConnect(version, "big-1"));
      await refused.waitClosed();
      expect(refused.packets).toEqual([]);

      const large = await startBroker({ connect_timeout: 60, max_packet_size_before_connect: 256 * 1024 });
      const accepted = await RawClient.open(large.port, version);
      accepted.write(bigConnect(version, "big-2"));
      const connack = await accepted.next(PacketType.CONNACK);
      expect(connack.reasonCode).toBe(ReasonCode.SUCCESS);
    },
  );

  it("logs the refusal with its reason and the peer's address, never the bytes", async () => {
    const { logger, lines } = capturingLogger();
    const { port } = await startBroker({ connect_timeout: 60 }, { logger });
    const raw = await RawClient.open(port);
    // A PUBLISH first, carrying a marker that must not reach the log.
    raw.write([0x30, 12, 0, 1, 0x74, ...Buffer.from("SECRET-BYTES", "latin1").subarray(0, 9)]);
    await raw.waitClosed();
    const line = lines.find((l) => l.message === "connection refused before CONNECT");
    expect(line?.fields).toMatchObject({
      error: "ConnectExpectedError",
      reasonCode: ReasonCode.PROTOCOL_ERROR,
      remoteAddress: expect.stringContaining("127.0.0.1"),
    });
    expect(JSON.stringify(lines)).not.toContain("SECRET");
  });
});
