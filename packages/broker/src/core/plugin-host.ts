import type { QoS } from "@amqtt/codec";
import { isThenable } from "../plugins/guard.js";
import type {
  AuthzAnswer,
  BrokerPlugin,
  ClientInfo,
  EnhancedAuthAnswer,
  EnhancedAuthStep,
  PluginMessage,
} from "../plugins/types.js";

/** The combined answer of the authentication plugins. */
export type AuthDecision =
  | { accepted: true }
  | { accepted: false; reasonCode?: number; reasonString?: string; serverReference?: string };

/** The observe-only event hooks of `BrokerPlugin` (every `on...` but `onPublish`). */
type EventHooks = {
  [K in keyof BrokerPlugin as K extends `on${string}`
    ? K extends "onPublish"
      ? never
      : K
    : never]-?: BrokerPlugin[K];
};

/** Runs the steps of a 5.0 enhanced authentication exchange (section 4.12) for one method. */
export type EnhancedAuthenticator = (
  client: ClientInfo,
  step: EnhancedAuthStep,
) => EnhancedAuthAnswer | Promise<EnhancedAuthAnswer>;

/** Observe-only events, by the name of their `BrokerPlugin` hook. */
export type PluginEvent = keyof EventHooks;

/** The arguments of an event hook. */
export type PluginEventArgs<E extends PluginEvent> = EventHooks[E] extends
  | ((...args: infer A) => unknown)
  | undefined
  ? A
  : never;

/**
 * What the broker core needs from its plugins: combined policy answers and
 * event delivery. `PluginManager` implements it; tests may pass a small fake.
 * Methods may answer synchronously; the core then stays on its fast path.
 */
export interface PluginHost {
  authenticate(client: ClientInfo): AuthDecision | Promise<AuthDecision>;
  authorizePublish(client: ClientInfo, message: PluginMessage): AuthzAnswer | Promise<AuthzAnswer>;
  authorizeSubscribe(client: ClientInfo, filter: string, qos: QoS): AuthzAnswer | Promise<AuthzAnswer>;
  /** Undefined when no plugin checks deliveries, so the hot path skips the call. */
  readonly authorizeReceive:
    | ((client: ClientInfo, message: PluginMessage) => AuthzAnswer | Promise<AuthzAnswer>)
    | undefined;
  onPublish(
    client: ClientInfo | undefined,
    message: PluginMessage,
  ): PluginMessage | null | Promise<PluginMessage | null>;
  /**
   * The authenticator of an Authentication Method (5.0 enhanced authentication),
   * `undefined` when no plugin handles `method` (the client gets 0x8C). A host
   * without it has no enhanced authentication.
   */
  enhancedAuthenticator?(method: string): EnhancedAuthenticator | undefined;
  /**
   * Whether any plugin observes `event`, so the broker can skip the work of
   * reporting it (a host without it: every event is reported).
   */
  has?(event: PluginEvent): boolean;
  /** Deliver an event to every plugin that observes it; never throws, never waits. */
  fire<E extends PluginEvent>(event: E, ...args: PluginEventArgs<E>): void;
}

/** True when `value` is a promise-like, i.e. a plugin answered asynchronously. */
export function isPromiseLike<T>(value: T | Promise<T>): value is Promise<T> {
  return isThenable(value);
}
