// The `npm start` demo until @amqtt/broker lands: encodes one packet of each
// kind for 3.1.1 and 5.0, decodes the bytes back byte by byte, and prints both.
import { Decoder, encode, type Packet, PacketType, packetTypeNames } from "./index.js";

const text = new TextEncoder();
const samples: Packet[] = [
  {
    type: PacketType.CONNECT,
    protocolVersion: 5,
    clean: true,
    keepAlive: 60,
    clientId: "demo",
    properties: { sessionExpiryInterval: 300 },
  },
  { type: PacketType.CONNACK, sessionPresent: false, reasonCode: 0, properties: { receiveMaximum: 100 } },
  {
    type: PacketType.PUBLISH,
    topic: "demo/temperature",
    payload: text.encode("21.5"),
    qos: 1,
    retain: false,
    dup: false,
    packetId: 1,
    properties: { contentType: "text/plain" },
  },
  { type: PacketType.PUBACK, packetId: 1 },
  {
    type: PacketType.SUBSCRIBE,
    packetId: 2,
    subscriptions: [{ topicFilter: "demo/#", qos: 1, noLocal: true }],
  },
  { type: PacketType.SUBACK, packetId: 2, reasonCodes: [1] },
  { type: PacketType.DISCONNECT, reasonCode: 0 },
];

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

for (const version of [4, 5] as const) {
  console.log(`MQTT ${version === 4 ? "3.1.1" : "5.0"}`);
  const decoder = new Decoder({ protocolVersion: version, maxPacketSize: 1 << 16 });
  for (const packet of samples) {
    const bytes = encode(
      version === 4 && packet.type === PacketType.CONNECT ? { ...packet, protocolVersion: 4 } : packet,
      version,
    );
    let decoded: Packet | undefined;
    for (const byte of bytes) {
      decoder.push(Uint8Array.of(byte));
      decoded = decoder.next() ?? decoded;
    }
    console.log(`  ${packetTypeNames[packet.type]!.padEnd(10)} ${hex(bytes)}`);
    console.log(
      `  ${"".padEnd(10)} -> ${JSON.stringify(decoded, (_k, v) => (v instanceof Uint8Array ? hex(v) : v))}`,
    );
  }
}
console.log("\nThe broker is on its way: this command will start it with its embedded defaults.");
