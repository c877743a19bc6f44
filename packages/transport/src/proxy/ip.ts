/**
 * IPv4 and IPv6 text <-> bytes, runtime-neutral (no `node:net`). Every address
 * is held as 16 bytes; an IPv4 address is its IPv4-mapped IPv6 form
 * (`::ffff:a.b.c.d`), so one comparison covers both families and a dual-stack
 * socket's `::ffff:127.0.0.1` matches `127.0.0.0/8`.
 */

/** Bytes 0..11 of an IPv4-mapped IPv6 address. */
const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] as const;

/** Parse dotted-quad IPv4 (`"192.0.2.1"`) into 4 bytes, or `undefined`. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    // Leading zeros are refused: some stacks read them as octal.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Parse IPv6 text (`"2001:db8::1"`, `"::ffff:192.0.2.1"`, a `%zone` suffix ignored) into 16 bytes, or `undefined`. */
export function parseIpv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf("%");
  let rest = zone >= 0 ? text.slice(0, zone) : text;
  const out = new Uint8Array(16);
  let tail: Uint8Array | undefined;
  const lastColon = rest.lastIndexOf(":");
  if (lastColon >= 0 && rest.includes(".", lastColon)) {
    tail = parseIpv4(rest.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    // The hex part ends before that colon, unless the colon closes a "::".
    rest = rest[lastColon - 1] === ":" ? rest.slice(0, lastColon + 1) : rest.slice(0, lastColon);
  }
  const groupsWanted = tail === undefined ? 8 : 6;
  const halves = rest.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const groups: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      groups.push(Number.parseInt(g, 16));
    }
    return groups;
  };
  const head = parseGroups(halves[0]!);
  const back = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (head === undefined || back === undefined) return undefined;
  if (halves.length === 1 && head.length !== groupsWanted) return undefined;
  if (halves.length === 2 && head.length + back.length > groupsWanted - 1) return undefined;
  const groups = [...head, ...new Array(groupsWanted - head.length - back.length).fill(0), ...back];
  for (let i = 0; i < groups.length; i++) {
    out[2 * i] = groups[i]! >> 8;
    out[2 * i + 1] = groups[i]! & 0xff;
  }
  if (tail !== undefined) out.set(tail, 12);
  return out;
}

/** An IPv4 or IPv6 address as 16 bytes (IPv4 mapped), or `undefined` when `text` is neither. */
export function parseIp(text: string): Uint8Array | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return mapIpv4(v4);
  return text.includes(":") ? parseIpv6(text) : undefined;
}

/** The IPv4-mapped IPv6 form of 4 IPv4 bytes. */
export function mapIpv4(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out.set(MAPPED_PREFIX);
  out.set(v4, 12);
  return out;
}

/** True when 16 bytes are an IPv4-mapped address. */
export function isMappedIpv4(bytes: Uint8Array): boolean {
  for (let i = 0; i < 12; i++) if (bytes[i] !== MAPPED_PREFIX[i]) return false;
  return true;
}

/** Dotted-quad text of 4 bytes. */
export function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * RFC 5952 text of 16 IPv6 bytes: lower-case hex, no leading zeros, the longest
 * run (of two or more) of zero groups as `::`, an IPv4-mapped address with its
 * IPv4 part dotted (as Node prints it: `::ffff:127.0.0.1`).
 */
export function formatIpv6(bytes: Uint8Array): string {
  if (isMappedIpv4(bytes)) return `::ffff:${formatIpv4(bytes.subarray(12))}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
