// A QoS 2 message survives a dropped connection and is delivered exactly once.
// Run from the repository root after `pnpm --filter @amqtt/qos build`:
//   node packages/qos/examples/reconnect.mjs
import { QosReceiver, QosSender } from "@amqtt/qos";

let now = 0; // your monotonic clock, in ms; the machines never read one themselves
const sender = new QosSender({ protocolVersion: 5 });
const receiver = new QosReceiver({ protocolVersion: 5 });
let toReceiver = []; // stands in for the socket, one queue per direction
let toSender = [];

const describe = (p) =>
  `${["", "", "", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP"][p.type]} ${p.packetId}`;
function fromSender(actions) {
  for (const a of actions) {
    if (a.kind === "send") toReceiver.push(a.packet);
    else if (a.kind === "completed") console.log(`sender: message ${a.seq} completed`);
  }
}
function fromReceiver(actions) {
  for (const a of actions) {
    if (a.kind === "send") toSender.push(a.packet);
    else if (a.kind === "deliver")
      console.log(`receiver: delivered "${new TextDecoder().decode(a.packet.payload)}"`);
  }
}
function pump() {
  while (toReceiver.length > 0 || toSender.length > 0) {
    const p = toReceiver.shift();
    if (p) {
      console.log(`wire: ${describe(p)}${p.dup ? " (DUP)" : ""} ->`);
      fromReceiver(receiver.receive(p, now));
    }
    const q = toSender.shift();
    if (q) {
      console.log(`wire: <- ${describe(q)}`);
      fromSender(sender.receive(q, now));
    }
  }
}

fromSender(sender.connected({ sessionPresent: false }, now));
receiver.connected(now);
fromSender(sender.publish({ topic: "meters/7", payload: new TextEncoder().encode("42 kWh"), qos: 2 }, now));

// The PUBLISH arrives, but the connection dies before the PUBREC gets back.
fromReceiver(receiver.receive(toReceiver.shift(), now));
toReceiver = [];
toSender = [];
now += 10;
sender.connectionLost(now);
receiver.connectionLost(now);
console.log("-- connection lost, reconnecting --");

// The session resumes: the PUBLISH goes again with DUP=1, and is not delivered twice.
now += 1000;
receiver.connected(now);
fromSender(sender.connected({ sessionPresent: true }, now));
pump();
