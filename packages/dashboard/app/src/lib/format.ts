// Number and time formatters for tables, tiles and chart axes. Pure functions, no DOM.

const byteUnits = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `1536` -> `"1.5 KiB"`; binary units, one decimal below 10 of a unit, none above. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "–";
  const sign = bytes < 0 ? "-" : "";
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < byteUnits.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${sign}${value.toFixed(digits)} ${byteUnits[unit]}`;
}

/** A per-second rate: `"1.5 KiB/s"` for bytes, `"12/s"` or `"1.2k/s"` for counts. */
export function formatRate(perSecond: number, kind: "bytes" | "count" = "count"): string {
  if (!Number.isFinite(perSecond)) return "–";
  return kind === "bytes" ? `${formatBytes(perSecond)}/s` : `${formatCount(perSecond)}/s`;
}

/** `1234` -> `"1.2k"`, `2500000` -> `"2.5M"`; integers below 1000 as they are, fractions to one decimal. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return "–";
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${trim(n / 1e9)}G`;
  if (abs >= 1e6) return `${trim(n / 1e6)}M`;
  if (abs >= 1e3) return `${trim(n / 1e3)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function trim(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1).replace(/\.0$/, "");
}

/** Seconds as `"3d 4h"`, `"2h 5m"`, `"4m 10s"` or `"12s"`: the two largest units. */
export function formatDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) return "–";
  const s = Math.floor(totalSeconds);
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${seconds}s`;
  return `${seconds}s`;
}

/** A percentage to one decimal: `12.345` -> `"12.3 %"`. */
export function formatPercent(percent: number): string {
  return Number.isFinite(percent) ? `${percent.toFixed(1)} %` : "–";
}

/** Milliseconds to one decimal below 10 ms, whole above: `"3.2 ms"`, `"120 ms"`. */
export function formatMillis(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/**
 * An ISO time or epoch milliseconds as local `HH:MM:SS`, with the date in front
 * when it is not the same day as `now`.
 */
export function formatClock(time: string | number, now: Date = new Date()): string {
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) return "–";
  const pad = (n: number) => String(n).padStart(2, "0");
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const sameDay =
    d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return sameDay ? clock : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock}`;
}

/**
 * A message payload for display: UTF-8 text as it is, base64 decoded to text when it
 * is valid UTF-8, else shown as hex bytes; cut to `maxChars` with an ellipsis.
 */
export function formatPayload(payload: string, encoding: "utf8" | "base64", maxChars = 200): string {
  let text = payload;
  if (encoding === "base64") {
    const bytes = base64ToBytes(payload);
    text = decodeUtf8(bytes) ?? [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  }
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

/** Decodes standard base64 to bytes; throws a `TypeError` on characters outside the alphabet. */
export function base64ToBytes(b64: string): Uint8Array {
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Encodes bytes as standard base64. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined; // not text: the caller shows hex
  }
}

const protocolNames: Record<number, string> = { 3: "3.1", 4: "3.1.1", 5: "5.0" };

/** An MQTT protocol level as its version name: `4` -> `"3.1.1"`, `5` -> `"5.0"`. */
export function protocolName(level: number): string {
  return protocolNames[level] ?? `level ${level}`;
}
