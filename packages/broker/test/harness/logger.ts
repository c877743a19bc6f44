import type { Logger } from "../../src/index.js";

/** One line a {@link capturingLogger} kept. */
export interface LogLine {
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps every line (any level), to prove what is logged and what is not. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const keep = (message: string, fields: Record<string, unknown> = {}) => {
    lines.push({ message, fields });
  };
  const logger: Logger = { debug: keep, info: keep, warn: keep, error: keep, child: () => logger };
  return { logger, lines };
}
