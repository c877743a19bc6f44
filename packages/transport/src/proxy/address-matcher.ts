import { InvalidAddressRangeError } from "./errors.js";
import { parseIp, parseIpv4 } from "./ip.js";

/** One parsed range: 16 address bytes (IPv4 mapped) and how many leading bits must match. */
interface Range {
  readonly bytes: Uint8Array;
  readonly bits: number;
}

/**
 * Parse `"10.0.0.0/8"`, `"192.0.2.7"` (one address), `"fd00::/8"` or `"::1"`.
 * An IPv4 range also matches the IPv4-mapped IPv6 form a dual-stack socket reports.
 * Throws {@link InvalidAddressRangeError}.
 */
function parseRange(text: string): Range {
  const slash = text.indexOf("/");
  const address = (slash < 0 ? text : text.slice(0, slash)).trim();
  const bytes = parseIp(address);
  if (bytes === undefined) throw new InvalidAddressRangeError(text, "the address is not IPv4 or IPv6");
  const isV4 = parseIpv4(address) !== undefined;
  const max = isV4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const prefix = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max)
      throw new InvalidAddressRangeError(text, `the prefix length must be 0 to ${max}`);
    bits = Number(prefix);
  }
  return { bytes, bits: isV4 ? 96 + bits : bits };
}

function inRange(address: Uint8Array, range: Range): boolean {
  const whole = range.bits >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== range.bytes[i]) return false;
  const partial = range.bits & 7;
  if (partial === 0) return true;
  const mask = (0xff << (8 - partial)) & 0xff;
  return (address[whole]! & mask) === (range.bytes[whole]! & mask);
}

/**
 * A set of trusted addresses (IPv4 and IPv6 CIDR ranges) to ask "is this peer a
 * trusted proxy?". Build once per listener; {@link AddressMatcher.matches} does
 * no allocation beyond parsing the peer's address.
 *
 * @example
 * ```ts
 * const trusted = new AddressMatcher(["127.0.0.1", "10.0.0.0/8", "fd00::/8"]);
 * trusted.matches("::ffff:10.1.2.3"); // true
 * ```
 */
export class AddressMatcher {
  readonly #ranges: readonly Range[];
  /** The ranges as given. */
  readonly ranges: readonly string[];

  /** Throws {@link InvalidAddressRangeError} for the first range that cannot be read. */
  constructor(ranges: readonly string[]) {
    this.ranges = [...ranges];
    this.#ranges = ranges.map(parseRange);
  }

  /** True when `address` (IPv4 or IPv6 text, as a socket reports it) is in one of the ranges. */
  matches(address: string | undefined): boolean {
    if (address === undefined) return false;
    const bytes = parseIp(address);
    if (bytes === undefined) return false;
    for (const range of this.#ranges) if (inRange(bytes, range)) return true;
    return false;
  }
}
