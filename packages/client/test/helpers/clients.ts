import { type ClientConfigInput, MQTTClient } from "../../src/index.js";
import { onCleanup } from "./brokers.js";

let counter = 0;

/** An MQTTClient with a unique id and fast reconnects, disconnected after the test. */
export function newClient(config: ClientConfigInput = {}, clientId?: string): MQTTClient {
  const client = new MQTTClient({
    clientId: clientId ?? `test-${process.pid}-${++counter}`,
    config: { reconnectInitialDelayMs: 20, reconnect_max_interval: 1, reconnect_retries: 50, ...config },
  });
  onCleanup(() => client.disconnect().catch(() => {}));
  return client;
}

/** Text of a payload. */
export function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}
