import type { RetainResult, StoreLimits, StoreUsage } from "./types.js";

/**
 * The bounds a store applies when none are given: 1000 messages and 16 MiB per
 * client queue (the broker's `max_queued_messages` / `max_queued_bytes`
 * defaults), oldest dropped first, and 100,000 retained messages or 256 MiB in all.
 */
export const DEFAULT_STORE_LIMITS: Readonly<StoreLimits> = Object.freeze({
  maxQueuedMessages: 1000,
  maxQueuedBytes: 16 * 1024 * 1024,
  queueOverflow: "drop-oldest",
  maxRetainedMessages: 100_000,
  maxRetainedBytes: 256 * 1024 * 1024,
});

const numericLimits = [
  "maxQueuedMessages",
  "maxQueuedBytes",
  "maxRetainedMessages",
  "maxRetainedBytes",
] as const;

/**
 * Fill `limits` with {@link DEFAULT_STORE_LIMITS} and check them.
 * @throws RangeError for a bound that is not a positive integer or `Infinity`,
 * or an unknown overflow policy.
 */
export function resolveStoreLimits(limits: Partial<StoreLimits> = {}): StoreLimits {
  const resolved: StoreLimits = { ...DEFAULT_STORE_LIMITS };
  for (const key of numericLimits) {
    const value = limits[key];
    if (value === undefined) continue;
    if (value !== Number.POSITIVE_INFINITY && (!Number.isInteger(value) || value < 1)) {
      throw new RangeError(`store limit ${key} must be a positive integer or Infinity, got ${value}`);
    }
    resolved[key] = value;
  }
  if (limits.queueOverflow !== undefined) {
    if (limits.queueOverflow !== "drop-oldest" && limits.queueOverflow !== "refuse-new") {
      throw new RangeError(
        `store limit queueOverflow must be "drop-oldest" or "refuse-new", got ${JSON.stringify(limits.queueOverflow)}`,
      );
    }
    resolved.queueOverflow = limits.queueOverflow;
  }
  return resolved;
}

/**
 * Which bound refuses retaining a message of `size` bytes when `usage` is what
 * is retained now and `previous` is the size of the message it replaces
 * (`undefined` for a new topic); `undefined` when it fits. Every store decides
 * with this one rule: a new topic beyond `maxRetainedMessages` is refused, and
 * so is any message that would pass `maxRetainedBytes`.
 */
export function retainedRefusal(
  limits: StoreLimits,
  usage: StoreUsage,
  previous: number | undefined,
  size: number,
): RetainResult["refusedBy"] {
  if (previous === undefined && usage.count + 1 > limits.maxRetainedMessages) return "count";
  if (usage.bytes - (previous ?? 0) + size > limits.maxRetainedBytes) return "bytes";
  return undefined;
}
