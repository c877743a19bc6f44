// CRC-32C (Castagnoli), the checksum of a PROXY v2 header's PP2_TYPE_CRC32C TLV
// (HAProxy's proxy-protocol.txt, section 2.2.5). Reflected polynomial 0x82F63B78,
// initial value and final XOR 0xFFFFFFFF; one 256-entry table, built on first use.

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table !== undefined) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * The CRC-32C of `bytes`, with the `zeroLength` bytes from `zeroAt` read as
 * zeros (the checksum field itself, which the sender computed as zero).
 */
export function crc32c(bytes: Uint8Array, zeroAt = -1, zeroLength = 0): number {
  const t = crcTable();
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    const byte = i >= zeroAt && i < zeroAt + zeroLength ? 0 : bytes[i]!;
    crc = t[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
