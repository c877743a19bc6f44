import type { QoS } from "@amqtt/codec";
import type { ClientInfo, PluginMessage } from "../plugins/types.js";

/** The broker's typed events (aMQTT's broker events, camelCased). */
export interface BrokerEvents {
  /** Listeners are open. */
  started: [];
  /** Listeners are closed and state is flushed. */
  stopped: [];
  clientConnected: [client: ClientInfo, sessionPresent: boolean];
  clientDisconnected: [client: ClientInfo, reasonCode: number];
  clientSubscribed: [client: ClientInfo, filter: string, qos: QoS];
  clientUnsubscribed: [client: ClientInfo, filter: string];
  /**
   * A message accepted for routing (after authorization and `onPublish`).
   * `origin` is `"cluster"` for a message another node of the cluster routed
   * here (it was accepted, and raised as `"local"`, on that node first).
   */
  message: [client: ClientInfo | undefined, message: PluginMessage, origin: "local" | "cluster"];
  /** A retained message was stored or cleared (empty payload). */
  retainedMessage: [client: ClientInfo | undefined, message: PluginMessage];
  /** Something was dropped by a bound (offline queue, in-flight queue, packet size). */
  dropped: [clientId: string, topic: string, reason: string];
  /** A non-fatal problem (plugin failure, listener error). */
  warning: [message: string, error?: unknown];
}

type Listener<A extends unknown[]> = (...args: A) => void;
type AnyListener = (...args: unknown[]) => void;

/**
 * A minimal typed event emitter: listeners run synchronously in order; one that
 * throws is reported through `warning` (or swallowed there) and never stops
 * the others or the broker.
 */
export class TypedEvents<E extends { [K in keyof E]: unknown[] }> {
  private readonly listeners = new Map<keyof E, AnyListener[]>();

  /** Add a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const list = this.listeners.get(event) ?? [];
    list.push(listener as unknown as AnyListener);
    this.listeners.set(event, list);
    return () => this.off(event, listener);
  }

  /** Add a listener that runs once. */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, ((...args: E[K]) => {
      off();
      listener(...args);
    }) as Listener<E[K]>);
    return off;
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    const list = this.listeners.get(event);
    if (list === undefined) return;
    const i = list.indexOf(listener as unknown as AnyListener);
    if (i >= 0) list.splice(i, 1);
  }

  /** True when someone listens to `event` (lets hot paths skip building arguments). */
  has(event: keyof E): boolean {
    return (this.listeners.get(event)?.length ?? 0) > 0;
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const list = this.listeners.get(event);
    if (list === undefined) return;
    for (const listener of [...list]) {
      try {
        listener(...(args as unknown[]));
      } catch (error) {
        if (event !== "warning")
          this.emit("warning" as K, ...([`${String(event)} listener threw`, error] as unknown as E[K]));
      }
    }
  }
}
