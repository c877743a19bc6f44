import type { Logger } from "../logger.js";
import { PluginTimeoutError } from "./errors.js";

/** What a guarded hook call gives when the hook threw, rejected or timed out. */
export const FAILED: unique symbol = Symbol("plugin hook failed");
export type Failed = typeof FAILED;

/** True for anything `await` would wait on. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** Log a hook failure with the plugin's name; never throws. */
export function logHookFailure(logger: Logger, plugin: string, hook: string, error: unknown): void {
  logger.error(`plugin ${plugin}: ${hook} failed, ignoring its answer`, {
    plugin,
    hook,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
}

/**
 * Wait for a hook's promise for at most `ms`. A rejection or a timeout is passed
 * to `onFailure` (once) and becomes `FAILED`; the timer is cleared as soon as the
 * promise settles.
 */
export function settleWithin<T>(
  pending: PromiseLike<T>,
  ms: number,
  plugin: string,
  hook: string,
  onFailure: (error: unknown) => void,
): Promise<T | Failed> {
  return new Promise<T | Failed>((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      onFailure(new PluginTimeoutError(plugin, hook, ms));
      resolve(FAILED);
    }, ms);
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        // A hook that already timed out was reported once; its late failure is not news.
        if (!timedOut) onFailure(error);
        resolve(FAILED);
      },
    );
  });
}
