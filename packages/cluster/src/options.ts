import type { ClusterOptions } from "./contract.js";

/** {@link ClusterOptions} with every default filled in, plus the timers derived from them. */
export interface ResolvedClusterOptions {
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly requestTimeoutMs: number;
  readonly maxUnackedEnvelopes: number;
  readonly maxInboxEnvelopes: number;
  /** How often the lease is renewed: a third of the lease, so two renewals may fail before it lapses. */
  readonly renewIntervalMs: number;
  /** How often a node looks for expired leases of others (as often as it renews). */
  readonly checkIntervalMs: number;
}

/** The defaults every cluster engine applies to {@link ClusterOptions}. */
export const CLUSTER_DEFAULTS = {
  leaseMs: 10_000,
  requestTimeoutMs: 2_000,
  maxUnackedEnvelopes: 10_000,
  maxInboxEnvelopes: 100_000,
} as const;

/** Bad cluster options (an empty node id, a non-positive duration or bound). */
export class ClusterOptionsError extends Error {
  override name = "ClusterOptionsError";
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new ClusterOptionsError(`${name} must be a positive integer (got ${value})`);
  return value;
}

/**
 * Fills in {@link CLUSTER_DEFAULTS} and checks the values.
 * @throws ClusterOptionsError for an empty node id, a node id with characters
 *   other than letters, digits, `.`, `_`, `-`, `:`, or a non-positive number;
 *   also when `requestTimeoutMs` is not shorter than the lease (a renewal that
 *   may take the whole lease cannot keep it).
 */
export function resolveClusterOptions(options: ClusterOptions): ResolvedClusterOptions {
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(options.nodeId))
    throw new ClusterOptionsError(
      `nodeId must be 1 to 128 letters, digits, '.', '_', '-' or ':' (got ${JSON.stringify(options.nodeId)})`,
    );
  const leaseMs = positiveInteger("leaseMs", options.leaseMs ?? CLUSTER_DEFAULTS.leaseMs);
  const requestTimeoutMs = positiveInteger(
    "requestTimeoutMs",
    options.requestTimeoutMs ?? CLUSTER_DEFAULTS.requestTimeoutMs,
  );
  if (requestTimeoutMs >= leaseMs)
    throw new ClusterOptionsError(
      `requestTimeoutMs (${requestTimeoutMs}) must be shorter than leaseMs (${leaseMs})`,
    );
  const renewIntervalMs = Math.max(1, Math.floor(leaseMs / 3));
  return {
    nodeId: options.nodeId,
    leaseMs,
    requestTimeoutMs,
    maxUnackedEnvelopes: positiveInteger(
      "maxUnackedEnvelopes",
      options.maxUnackedEnvelopes ?? CLUSTER_DEFAULTS.maxUnackedEnvelopes,
    ),
    maxInboxEnvelopes: positiveInteger(
      "maxInboxEnvelopes",
      options.maxInboxEnvelopes ?? CLUSTER_DEFAULTS.maxInboxEnvelopes,
    ),
    renewIntervalMs,
    checkIntervalMs: renewIntervalMs,
  };
}
