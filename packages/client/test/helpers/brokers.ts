import { Broker, silentLogger } from "@amqtt/broker";
import { cleanupStack, freePort, startMosquitto as startSharedMosquitto, stopOnce } from "@amqtt/test-utils";
import { afterEach } from "vitest";

export { freePort };

const cleanups = cleanupStack();
afterEach(cleanups.run);

/** Run `fn` after the current test (in reverse order of registration). */
export const onCleanup = cleanups.add;

/** Our broker on loopback (TCP, and WebSocket when asked; `config` adds broker config keys), stopped after the test. */
export async function startOurBroker(
  options: { ws?: boolean; port?: number; config?: Record<string, unknown> } = {},
): Promise<{ broker: Broker; url: string; wsUrl: string | undefined; stop(): Promise<void> }> {
  const listeners: Record<string, { type: "tcp" | "ws"; bind: string }> = {
    default: { type: "tcp", bind: `127.0.0.1:${options.port ?? 0}` },
  };
  if (options.ws) listeners.ws = { type: "ws", bind: "127.0.0.1:0" };
  const broker = new Broker(
    { ...options.config, listeners, plugins: { "anonymous-auth": {} } },
    { logger: silentLogger },
  );
  await broker.start();
  const stop = stopOnce(() => broker.stop());
  onCleanup(stop);
  const addresses = broker.addresses();
  const tcp = addresses.find((a) => a.type === "tcp");
  const ws = addresses.find((a) => a.type === "ws");
  return {
    broker,
    url: `mqtt://127.0.0.1:${tcp?.port}`,
    wsUrl: ws === undefined ? undefined : `ws://127.0.0.1:${ws.port}/`,
    stop,
  };
}

/** Debian's mosquitto on a free loopback port (anonymous, no persistence), killed after the test. */
export async function startMosquitto(
  port?: number,
): Promise<{ url: string; port: number; kill(): Promise<void> }> {
  const mosquitto = await startSharedMosquitto(port === undefined ? {} : { port });
  onCleanup(mosquitto.stop);
  return { url: mosquitto.url, port: mosquitto.port, kill: mosquitto.stop };
}
