import { encode, PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { startBroker } from "../tcp.js";
import { bystanders, fixedHeader, RawClient } from "./raw-client.js";

const MAX_PACKET_SIZE = 1024;

/** A PUBLISH fixed header claiming `remaining` bytes of body, and nothing else. */
const headerOnly = (remaining: number): number[] => fixedHeader(0x30, remaining);

function publish(payloadBytes: number, version: 4 | 5): Uint8Array {
  return encode(
    {
      type: PacketType.PUBLISH,
      topic: "big",
      payload: new Uint8Array(payloadBytes),
      qos: 0,
      retain: false,
      dup: false,
    },
    version,
  );
}

describe.each([4, 5] as const)("an oversize packet, MQTT level %i", (version) => {
  const v5 = version === 5;

  it(`whose fixed header alone claims 100 MB over max_packet_size is refused ${v5 ? "with DISCONNECT 0x95" : "by a close"} before any body arrives, and another client keeps working`, async () => {
    const { port, url, broker } = await startBroker({ max_packet_size: MAX_PACKET_SIZE });
    const others = await bystanders(url);
    const raw = await RawClient.connected(port, version, "huge");
    const before = broker.stats().bytesReceived;
    // Only the 5 header bytes are ever sent: the close proves the broker decided on the header.
    raw.write(headerOnly(100 * 1024 * 1024));
    await raw.waitClosed();
    const after = raw.packets.filter((p) => p.type !== PacketType.CONNACK);
    if (v5) {
      expect(after).toHaveLength(1);
      expect(after[0]).toMatchObject({ type: PacketType.DISCONNECT, reasonCode: 0x95 });
    } else expect(after).toEqual([]);
    // Nothing of the claimed body was counted as received.
    expect(broker.stats().bytesReceived - before).toBeLessThan(MAX_PACKET_SIZE);
    await others.roundTrip("after");
  });

  it(`one byte over max_packet_size is refused ${v5 ? "with DISCONNECT 0x95" : "by a close"}, while a packet of exactly max_packet_size is delivered`, async () => {
    const { port, url } = await startBroker({ max_packet_size: MAX_PACKET_SIZE });
    const others = await bystanders(url, "big");
    const raw = await RawClient.connected(port, version, "edge");
    // The payload size that makes the whole packet exactly max_packet_size (the length field grows to 2 bytes).
    let payloadBytes = MAX_PACKET_SIZE;
    while (publish(payloadBytes, version).length > MAX_PACKET_SIZE) payloadBytes--;
    const fits = publish(payloadBytes, version);
    expect(fits.length).toBe(MAX_PACKET_SIZE);
    raw.write(fits);
    const [got] = await new Promise<Buffer[]>((resolve) =>
      others.sub.once("message", (_t, payload: Buffer) => resolve([payload])),
    );
    expect(got!.length).toBe(payloadBytes);
    raw.write(publish(payloadBytes + 1, version));
    await raw.waitClosed();
    if (v5) expect(raw.packets.at(-1)).toMatchObject({ type: PacketType.DISCONNECT, reasonCode: 0x95 });
    else expect(raw.packets.map((p) => p.type)).toEqual([PacketType.CONNACK]);
    await others.roundTrip("after");
  });

  it("a CONNECT over max_packet_size is closed without CONNACK 0", async () => {
    const { port, url } = await startBroker({ max_packet_size: MAX_PACKET_SIZE });
    const others = await bystanders(url);
    const raw = await RawClient.open(port, version);
    raw.write(
      encode(
        {
          type: PacketType.CONNECT,
          protocolVersion: version,
          clean: true,
          keepAlive: 0,
          clientId: "c".repeat(2 * MAX_PACKET_SIZE),
        },
        version,
      ),
    );
    await raw.waitClosed();
    for (const p of raw.packets) {
      expect(p.type).toBe(PacketType.CONNACK);
      expect((p as { reasonCode: number }).reasonCode).not.toBe(0);
    }
    await others.roundTrip("after");
  });
});
