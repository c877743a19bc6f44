import type { ConfigIssue } from "./errors.js";

/** A host and port to listen on. */
export interface BindAddress {
  host: string;
  port: number;
}

/**
 * Parse aMQTT's `bind` forms: `""`, `"1883"`, `":1883"`, `"host:1883"`,
 * `"[::1]:1883"` and `"host"` (default port). Returns an issue instead of
 * throwing so that every problem of a file is reported at once.
 */
export function parseBind(bind: string, defaultPort: number, path: string): BindAddress | ConfigIssue {
  const text = bind.trim();
  let host = "0.0.0.0";
  let portText = "";
  if (text === "") return { host, port: defaultPort };
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return { path, message: `"${bind}" has no closing "]" for its IPv6 address` };
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) return { path, message: `unexpected "${rest}" after "]"` };
    portText = rest.slice(1);
  } else if (/^\d+$/.test(text)) {
    portText = text;
  } else {
    const colon = text.lastIndexOf(":");
    if (colon >= 0 && text.indexOf(":") !== colon)
      return { path, message: `"${bind}" looks like an IPv6 address; write it as "[addr]:port"` };
    if (colon >= 0) {
      host = text.slice(0, colon) || host;
      portText = text.slice(colon + 1);
    } else {
      host = text;
    }
  }
  if (portText === "") return { host, port: defaultPort };
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535)
    return { path, message: `port "${portText}" is not a number from 0 to 65535` };
  return { host, port };
}
