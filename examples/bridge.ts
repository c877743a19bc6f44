// Example: a bridge-like client. It subscribes to a filter on one broker and
// republishes every message on another, keeping topic, QoS and retain, until the
// returned `stop` is called.
import { MQTTClient } from "amqtt";

/** Forward `filter` from the broker at `fromUrl` to the one at `toUrl`. */
export async function bridge(
  fromUrl: string,
  toUrl: string,
  filter: string,
): Promise<{ stop(): Promise<void> }> {
  const source = new MQTTClient({ clientId: "bridge-in" });
  const target = new MQTTClient({ clientId: "bridge-out" });
  await source.connect(fromUrl);
  await target.connect(toUrl);
  await source.subscribe([[filter, 1]]);
  const stopping = new AbortController();
  const pump = (async () => {
    try {
      for await (const m of source.messages(undefined, { signal: stopping.signal })) {
        await target.publish(m.topic, m.data, { qos: m.qos, retain: m.retain });
      }
    } catch {
      // Aborted by stop(): nothing left to forward.
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await pump;
      await Promise.all([source.disconnect(), target.disconnect()]);
    },
  };
}
