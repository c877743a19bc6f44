/**
 * A small seeded generator (mulberry32): the same seed gives the same numbers,
 * so a failing property or crash run can be replayed from its seed.
 * @returns a function giving numbers in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Up to `maxLength` random bytes drawn from `random`. */
export function randomBytes(random: () => number, maxLength: number): Uint8Array {
  return Uint8Array.from({ length: Math.floor(random() * maxLength) }, () => Math.floor(random() * 256));
}
