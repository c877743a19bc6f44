/**
 * Recognises a message the bridge itself carried a moment ago when it comes
 * back (an echo): by topic, payload length and an FNV-1a hash of the payload.
 * For MQTT 3.1.1, which has no No Local and no room for a hop list. Bounded:
 * at most `capacity` fingerprints, each forgotten after `windowMs`, and each
 * matches one echo only (a message carried twice expects two echoes).
 */
export class EchoGuard {
  /** Fingerprint -> deadlines (ms), oldest first. Map order is insertion order: the oldest entry goes first. */
  private readonly recent = new Map<string, number[]>();
  private size = 0;

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Fingerprints held now (bounded by `capacity`). */
  get held(): number {
    return this.size;
  }

  /** Remember that `topic`/`payload` was carried. */
  carried(topic: string, payload: Uint8Array): void {
    const key = fingerprint(topic, payload);
    const deadline = this.now() + this.windowMs;
    const list = this.recent.get(key);
    if (list === undefined) this.recent.set(key, [deadline]);
    else list.push(deadline);
    this.size++;
    while (this.size > this.capacity) this.forgetOldest();
  }

  /** True (and forgotten) when `topic`/`payload` is an echo of something carried within the window. */
  isEcho(topic: string, payload: Uint8Array): boolean {
    if (this.size === 0) return false;
    const key = fingerprint(topic, payload);
    const list = this.recent.get(key);
    if (list === undefined) return false;
    const t = this.now();
    while (list.length > 0 && (list[0] as number) < t) {
      list.shift();
      this.size--;
    }
    const hit = list.length > 0;
    if (hit) {
      list.shift();
      this.size--;
    }
    if (list.length === 0) this.recent.delete(key);
    return hit;
  }

  private forgetOldest(): void {
    const first = this.recent.entries().next();
    if (first.done === true) return;
    const [key, list] = first.value;
    list.shift();
    this.size--;
    if (list.length === 0) this.recent.delete(key);
  }
}

function fingerprint(topic: string, payload: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < payload.length; i++) {
    h ^= payload[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return `${topic}\u0000${payload.length}:${(h >>> 0).toString(36)}`;
}
