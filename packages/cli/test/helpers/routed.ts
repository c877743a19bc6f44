// Waiting for a cluster route: a subscription on one node is routed from another.
import type { MqttClient } from "mqtt";

/** Publish a QoS 0 probe on `topic` every 100 ms until `sub` (on another node) sees one: the route reached `pub`'s node. */
export async function routed(pub: MqttClient, sub: MqttClient, topic: string): Promise<void> {
  const seen = new Promise<void>((resolve) => {
    const on = (t: string) => {
      if (t !== topic) return;
      sub.off("message", on);
      resolve();
    };
    sub.on("message", on);
  });
  const timer = setInterval(() => void pub.publishAsync(topic, "probe", { qos: 0 }), 100);
  await seen.finally(() => clearInterval(timer));
}
