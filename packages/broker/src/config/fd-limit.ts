import { readFileSync } from "node:fs";

/** Connections per listener (and clients in all) where the open-files limit cannot be read. */
export const FALLBACK_MAX_CONNECTIONS = 10_000;
/** File descriptors kept back from connections: logs, the store, plugins, listeners, bridges. */
export const FD_RESERVE = 128;
/** The highest default, for a process whose open-files limit is `unlimited` or huge. */
export const MAX_DERIVED_CONNECTIONS = 1_000_000;

/**
 * The soft "Max open files" limit from the text of `/proc/self/limits`
 * (`ulimit -n`), or `undefined` when the text has no such line.
 * `unlimited` reads as `Infinity`.
 */
export function parseOpenFilesLimit(text: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith("Max open files"));
  const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
  if (soft === undefined) return undefined;
  if (soft === "unlimited") return Number.POSITIVE_INFINITY;
  return /^\d+$/.test(soft) ? Number(soft) : undefined;
}

/** Where the default connection limit came from, for the start-up log. */
export interface ConnectionLimitDefault {
  /** Connections per listener when `max_connections` is not written (and `max_clients` when not written). */
  readonly limit: number;
  /** The soft open-files limit it was derived from; `undefined` when it could not be read (the fallback applies). */
  readonly openFiles: number | undefined;
}

/**
 * The default connection limit: the process's open-files limit less
 * {@link FD_RESERVE}, since each connection holds one descriptor; capped at
 * {@link MAX_DERIVED_CONNECTIONS}; {@link FALLBACK_MAX_CONNECTIONS} where the
 * limit cannot be read (no `/proc`: macOS, Windows) or is too small to leave a reserve.
 */
export function connectionLimitDefault(limitsText?: string): ConnectionLimitDefault {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return { limit: FALLBACK_MAX_CONNECTIONS, openFiles: undefined };
    }
  }
  const openFiles = parseOpenFilesLimit(text);
  if (openFiles === undefined || openFiles <= 2 * FD_RESERVE)
    return { limit: FALLBACK_MAX_CONNECTIONS, openFiles };
  return { limit: Math.min(MAX_DERIVED_CONNECTIONS, openFiles - FD_RESERVE), openFiles };
}
