import { AddressMatcher, InvalidAddressRangeError } from "@amqtt/transport";
import type { z } from "zod";
import type { ConfigIssue } from "./errors.js";
import { connectionLimitDefault } from "./fd-limit.js";
import { lazySchema } from "./zod.js";

// The edge of the network (issue 17): PROXY protocol, forwarded headers, unix
// sockets, rate limits and global caps. Keys in aMQTT's style (snake_case).

/** Listener keys for the edge, spread into `listenerSchema` (built on first use). */
export const edgeListenerKeys = lazySchema((z) => {
  const positive = z.number().positive();
  const nonNegative = z.number().min(0);
  return {
    /** TCP/TLS: expect a PROXY protocol v1/v2 header from `proxy_trusted` (before TLS). */
    proxy_protocol: z.boolean().optional(),
    /** The proxies allowed to send the PROXY header: IPv4/IPv6 addresses or CIDR ranges. */
    proxy_trusted: z.array(z.string()).optional(),
    /** WebSocket: proxies whose `Forwarded` / `X-Forwarded-For` header is believed. */
    trusted_proxies: z.array(z.string()).optional(),
    /** Unix socket listeners (`bind: unix:/path`): the file's mode, octal text such as `"0660"`. */
    mode: z
      .string()
      .regex(/^0?[0-7]{3}$/, 'an octal mode such as "0660"')
      .optional(),
    /** Unix socket listeners: the file's owner and group (numeric ids). */
    owner: z.int().min(0).optional(),
    group: z.int().min(0).optional(),
    /** New connections per second accepted on this listener (0: no limit). */
    max_connection_rate: nonNegative.optional(),
    /** Connections accepted at once after a quiet spell (default: one second's worth). */
    connection_rate_burst: positive.optional(),
  };
});

/** Top-level keys for the rate limits and caps, spread into `brokerConfigSchema` (built on first use). */
export const edgeBrokerKeys = lazySchema((z) => {
  const positive = z.number().positive();
  const nonNegative = z.number().min(0);
  return {
    /** Clients connected at once across every listener; more get CONNACK Server busy (3.1.1: rc 3). 0: no limit. */
    max_clients: z.int().min(0).optional(),
    /** Inbound PUBLISH packets per second per client (0: no limit). */
    max_message_rate: nonNegative.optional(),
    message_rate_burst: positive.optional(),
    /** Inbound PUBLISH bytes (topic plus payload) per second per client (0: no limit). */
    max_byte_rate: nonNegative.optional(),
    byte_rate_burst: positive.optional(),
    /** What a 5.0 client over its rate gets: DISCONNECT 0x96 Message rate too high (default), or slowed like 3.1.1. */
    rate_limit_v5: z.enum(["disconnect", "throttle"]).optional(),
    /** Bytes of messages queued and waiting to be written, all clients together; over it new QoS 0 messages are dropped. 0: no limit. */
    max_message_memory: z.int().min(0).optional(),
  };
});

/** A listener's edge settings, resolved. */
export interface ListenerEdge {
  /** PROXY protocol: the trusted proxies (the header is required from them). */
  proxyTrusted?: readonly string[];
  /** WebSocket: proxies whose forwarding headers are believed. */
  trustedProxies?: readonly string[];
  /** Unix domain socket: the path, and the file's mode and owner. */
  unix?: { path: string; mode?: number; uid?: number; gid?: number };
  /** New connections per second and burst as written (`rate` 0: no limit); the default applies when absent. */
  connectionRate?: { rate: number; burst: number };
}

/** The broker's rate limits and caps, resolved (0 / `undefined`: off). */
export interface RateLimits {
  /** Clients connected at once (0: no limit). */
  maxClients: number;
  /** Where the default `maxClients` and listeners' `maxConnections` came from. */
  connectionLimit: ReturnType<typeof connectionLimitDefault>;
  messageRate?: { rate: number; burst: number };
  byteRate?: { rate: number; burst: number };
  /** A 5.0 client over its rate: `disconnect` (0x96) or `throttle`. */
  v5: "disconnect" | "throttle";
  /** Bytes of queued and unwritten messages over which new QoS 0 messages are dropped (0: no limit). */
  maxMessageMemory: number;
}

/** The connection rate of a listener: as written, else the default; `undefined` when off. */
export function listenerConnectionRate(
  edge: ListenerEdge | undefined,
): { rate: number; burst: number } | undefined {
  const r = edge?.connectionRate ?? {
    rate: defaultRateLimits.connectionRate,
    burst: defaultRateLimits.connectionRate,
  };
  return r.rate === 0 ? undefined : r;
}

/** Defaults a single-tenant broker never reaches (see the README's "Rate limits and caps"). */
export const defaultRateLimits = {
  messageRate: 1_000_000,
  byteRate: 1024 * 1024 * 1024,
  connectionRate: 10_000,
  maxMessageMemory: 2 * 1024 * 1024 * 1024,
} as const;

type EdgeListenerKeys = ReturnType<typeof edgeListenerKeys>;
type EdgeBrokerKeys = ReturnType<typeof edgeBrokerKeys>;
type RawEdgeListener = { [K in keyof EdgeListenerKeys]?: z.output<EdgeListenerKeys[K]> };
type RawEdgeBroker = { [K in keyof EdgeBrokerKeys]?: z.output<EdgeBrokerKeys[K]> };

function rate(value: number | undefined, burst: number | undefined, fallback: number) {
  const r = value ?? fallback;
  return r === 0 ? undefined : { rate: r, burst: burst ?? r };
}

function checkRanges(list: readonly string[], path: string, issues: ConfigIssue[]): void {
  try {
    new AddressMatcher(list);
  } catch (error) {
    if (!(error instanceof InvalidAddressRangeError)) throw error;
    issues.push({ path, message: error.message });
  }
}

/** `unix:/path` in `bind`: the path, or `undefined` for a host:port bind. */
export function unixBindPath(bind: string | null | undefined): string | undefined {
  return bind?.startsWith("unix:") ? bind.slice("unix:".length) : undefined;
}

/** Resolve a listener's edge keys; issues name their key path. */
export function resolveListenerEdge(
  path: string,
  type: "tcp" | "ws" | "external" | "http",
  raw: RawEdgeListener & { bind?: string | null | undefined },
  issues: ConfigIssue[],
): ListenerEdge | undefined {
  const edge: ListenerEdge = {};
  if (raw.proxy_protocol === true) {
    if (type !== "tcp")
      issues.push({
        path: `${path}.proxy_protocol`,
        message: "only tcp listeners speak the PROXY protocol; use trusted_proxies on ws",
      });
    else if (raw.proxy_trusted === undefined || raw.proxy_trusted.length === 0)
      issues.push({
        path: `${path}.proxy_trusted`,
        message: "proxy_protocol needs the addresses of the trusted proxies",
      });
    else {
      checkRanges(raw.proxy_trusted, `${path}.proxy_trusted`, issues);
      edge.proxyTrusted = raw.proxy_trusted;
    }
  } else if (raw.proxy_trusted !== undefined)
    issues.push({ path: `${path}.proxy_trusted`, message: "proxy_trusted needs proxy_protocol: true" });
  if (raw.trusted_proxies !== undefined) {
    if (type !== "ws")
      issues.push({ path: `${path}.trusted_proxies`, message: "only ws listeners read forwarding headers" });
    else {
      checkRanges(raw.trusted_proxies, `${path}.trusted_proxies`, issues);
      edge.trustedProxies = raw.trusted_proxies;
    }
  }
  const unixPath = unixBindPath(raw.bind);
  if (unixPath !== undefined) {
    if (type !== "tcp") issues.push({ path: `${path}.bind`, message: "unix: binds are for tcp listeners" });
    else if (!unixPath.startsWith("/"))
      issues.push({ path: `${path}.bind`, message: "write unix:/absolute/path" });
    else
      edge.unix = {
        path: unixPath,
        ...(raw.mode === undefined ? {} : { mode: Number.parseInt(raw.mode, 8) }),
        ...(raw.owner === undefined ? {} : { uid: raw.owner }),
        ...(raw.group === undefined ? {} : { gid: raw.group }),
      };
  } else if (raw.mode !== undefined || raw.owner !== undefined || raw.group !== undefined)
    issues.push({ path: `${path}.mode`, message: "mode, owner and group are for unix: binds" });
  if (raw.max_connection_rate !== undefined || raw.connection_rate_burst !== undefined) {
    const r = raw.max_connection_rate ?? defaultRateLimits.connectionRate;
    edge.connectionRate = { rate: r, burst: raw.connection_rate_burst ?? r };
  }
  return Object.keys(edge).length === 0 ? undefined : edge;
}

/** Resolve the top-level rate limits and caps. */
export function resolveRateLimits(raw: RawEdgeBroker): RateLimits {
  const connectionLimit = connectionLimitDefault();
  const limits: RateLimits = {
    maxClients: raw.max_clients ?? connectionLimit.limit,
    connectionLimit,
    v5: raw.rate_limit_v5 ?? "disconnect",
    maxMessageMemory: raw.max_message_memory ?? defaultRateLimits.maxMessageMemory,
  };
  const messageRate = rate(raw.max_message_rate, raw.message_rate_burst, defaultRateLimits.messageRate);
  if (messageRate !== undefined) limits.messageRate = messageRate;
  const byteRate = rate(raw.max_byte_rate, raw.byte_rate_burst, defaultRateLimits.byteRate);
  if (byteRate !== undefined) limits.byteRate = byteRate;
  return limits;
}
