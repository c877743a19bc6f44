// Small packets are carved out of a shared slab instead of each getting its own
// ArrayBuffer: allocating a fresh ArrayBuffer per packet dominated encode time.
// The slab is never zero-filled here because every encoder writes every byte of
// the range it asks for. A packet view keeps its slab (16 KiB) alive while held,
// the same trade-off Node makes for Buffer.allocUnsafe's pool (8 KiB). Small slabs
// also die young: a 64 KiB slab took a broker ~5 ms of fan-in to fill, long enough
// to outlive two scavenges and be promoted, so its memory waited for a full GC.

const SLAB_SIZE = 16 * 1024;
/** Packets up to this size come from the slab; larger ones get their own buffer. */
const POOLED_MAX = 2 * 1024;

let slab = new ArrayBuffer(SLAB_SIZE);
let slabOffset = 0;

/**
 * A `Uint8Array` of `size` bytes whose contents are unspecified: the caller
 * must write every byte. @internal
 */
export function allocUnsafe(size: number): Uint8Array {
  if (size > POOLED_MAX) return new Uint8Array(size);
  if (slabOffset + size > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabOffset = 0;
  }
  const view = new Uint8Array(slab, slabOffset, size);
  // Keep 8-byte alignment so views never share a cache line needlessly.
  slabOffset += (size + 7) & ~7;
  return view;
}
