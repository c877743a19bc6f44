// Throughput of the QoS machines, in-process, no IO. Run after building:
//   pnpm --filter @amqtt/qos build && pnpm --filter @amqtt/qos bench
import { PacketIdAllocator, QosReceiver, QosSender } from "@amqtt/qos";

function measure(name, ops, fn) {
  fn(Math.min(ops, 10_000)); // warm up
  const start = process.hrtime.bigint();
  fn(ops);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${name}: ${Math.round(ops / seconds).toLocaleString("en")} ops/s`);
}

measure("allocate + release, 100 ids in flight", 2_000_000, (n) => {
  const ids = new PacketIdAllocator();
  const ring = [];
  for (let i = 0; i < 100; i++) ring.push(ids.allocate());
  for (let i = 0; i < n; i++) {
    ids.release(ring[i % 100]);
    ring[i % 100] = ids.allocate();
  }
});

measure("allocate with 65,000 of 65,535 ids in use", 1_000_000, (n) => {
  const ids = new PacketIdAllocator();
  for (let i = 0; i < 65_000; i++) ids.allocate();
  let held = ids.allocate();
  for (let i = 0; i < n; i++) {
    ids.release(held);
    held = ids.allocate();
  }
});

for (const qos of [1, 2]) {
  measure(`QoS ${qos} flow, sender + receiver, window 100`, 300_000, (n) => {
    const sender = new QosSender({ protocolVersion: 5, maxInFlight: 100, maxQueuedMessages: n });
    const receiver = new QosReceiver({ protocolVersion: 5 });
    sender.connected({ sessionPresent: false }, 0);
    receiver.connected(0);
    const payload = new Uint8Array(16);
    const toReceiver = [];
    const toSender = [];
    const route = (actions, queue) => {
      for (const a of actions) if (a.kind === "send") queue.push(a.packet);
    };
    let done = 0;
    for (let i = 0; i < n; i++) route(sender.publish({ topic: "bench/t", payload, qos }, 0), toReceiver);
    while (done < n) {
      for (const p of toReceiver.splice(0)) route(receiver.receive(p, 0), toSender);
      for (const p of toSender.splice(0)) {
        for (const a of sender.receive(p, 0)) {
          if (a.kind === "send") toReceiver.push(a.packet);
          else if (a.kind === "completed") done++;
        }
      }
    }
  });
}
