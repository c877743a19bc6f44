import type { IncomingApplicationMessage } from "@amqtt/message";

/** The events of an `MQTTClient` and what each carries. */
export interface ClientEvents {
  /** A CONNACK accepted the connection (first connect and every reconnect). */
  connected: { sessionPresent: boolean; reconnect: boolean };
  /** The connection ended; `error` says why when it was not asked for. */
  disconnected: { error: Error | undefined; willReconnect: boolean };
  /** A reconnect attempt is scheduled after `delayMs`; `error` is why the previous attempt failed (if one did). */
  reconnecting: { attempt: number; delayMs: number; error?: Error };
  /** A message arrived (it is also queued for `deliverMessage` / `messages()`). */
  message: IncomingApplicationMessage;
  /** The bounded delivery queue discarded a message nobody read. */
  messageDropped: IncomingApplicationMessage;
  /** The broker broke a protocol rule (the connection is closed and, if enabled, re-opened). */
  protocolError: Error;
}

type Listener<T> = (value: T) => void;

/** A small typed event emitter with no Node dependency. */
export class TypedEvents<E extends object> {
  private readonly listeners = new Map<keyof E, Set<Listener<never>>>();

  /** Call `listener` on each `event`; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  /** Remove a listener added with {@link TypedEvents.on}. */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.listeners.get(event)?.delete(listener as Listener<never>);
  }

  /** Resolve with the next `event` (rejects when `signal` aborts). */
  once<K extends keyof E>(event: K, signal?: AbortSignal): Promise<E[K]> {
    return new Promise((resolve, reject) => {
      const off = this.on(event, (value) => {
        off();
        resolve(value);
      });
      signal?.addEventListener("abort", () => {
        off();
        reject(signal.reason);
      });
    });
  }

  protected emit<K extends keyof E>(event: K, value: E[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as Listener<E[K]>)(value);
      } catch {
        // A listener's failure must not break the protocol loop.
      }
    }
  }
}
