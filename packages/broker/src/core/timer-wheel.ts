import type { Clock, TimerHandle } from "./timers.js";

/** Granularity of a broker's wheel: a deadline fires at most this late. */
export const WHEEL_RESOLUTION_MS = 250;

/** Something with deadlines on a {@link TimerWheel} (a client connection). */
export interface WheelEntry {
  /** The wheel reached the entry's slot at `t` (monotonic ms): fire what is due, schedule the rest again. */
  wheelFired(t: number): void;
}

/**
 * One timer for the long deadlines of every connection of one broker (the
 * CONNECT deadline, the keep alive) instead of a timer per connection:
 * deadlines fall into slots of `resolutionMs`, and the wheel's timer runs only
 * while some slot is occupied. Each broker has its own, on its own clock.
 */
export class TimerWheel {
  private readonly slots = new Map<number, Set<WheelEntry>>();
  /** The slot each scheduled entry sits in. */
  private readonly slotOf = new Map<WheelEntry, number>();
  private timer: TimerHandle | undefined;
  /** Slots up to this one were fired. */
  private done = 0;
  /** True while firing a slot: the timer is re-armed once at the end. */
  private ticking = false;

  constructor(
    private readonly clock: Clock,
    private readonly resolutionMs = WHEEL_RESOLUTION_MS,
  ) {}

  /** Entries waiting on the wheel. */
  get size(): number {
    return this.slotOf.size;
  }

  /** The entries waiting on the wheel. */
  pending(): WheelEntry[] {
    return [...this.slotOf.keys()];
  }

  /** Whether `entry` waits on the wheel. */
  has(entry: WheelEntry): boolean {
    return this.slotOf.has(entry);
  }

  /** Put `entry` in the slot of `due` (monotonic ms), moving it from its current slot. */
  schedule(entry: WheelEntry, due: number): void {
    if (this.timer === undefined && !this.ticking) {
      this.done = Math.floor(this.clock.now() / this.resolutionMs) - 1;
      this.arm();
    }
    const slot = Math.max(Math.ceil(due / this.resolutionMs), this.done + 1);
    if (this.slotOf.get(entry) === slot) return;
    this.remove(entry);
    let set = this.slots.get(slot);
    if (set === undefined) {
      set = new Set();
      this.slots.set(slot, set);
    }
    set.add(entry);
    this.slotOf.set(entry, slot);
  }

  /** Take `entry` off the wheel. */
  cancel(entry: WheelEntry): void {
    this.remove(entry);
    this.stopWhenEmpty();
  }

  private remove(entry: WheelEntry): void {
    const slot = this.slotOf.get(entry);
    if (slot === undefined) return;
    this.slotOf.delete(entry);
    const set = this.slots.get(slot);
    if (set !== undefined) {
      set.delete(entry);
      if (set.size === 0) this.slots.delete(slot);
    }
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(() => this.tick(), this.resolutionMs);
  }

  private tick(): void {
    this.ticking = true;
    const t = this.clock.now();
    const current = Math.floor(t / this.resolutionMs);
    try {
      while (this.done < current) {
        const slot = ++this.done;
        const set = this.slots.get(slot);
        if (set === undefined) continue;
        this.slots.delete(slot);
        for (const entry of set) {
          this.slotOf.delete(entry);
          entry.wheelFired(t);
        }
      }
    } finally {
      this.ticking = false;
      this.timer = undefined;
      if (this.slots.size > 0) this.arm();
    }
  }

  private stopWhenEmpty(): void {
    if (this.slots.size > 0 || this.timer === undefined || this.ticking) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
