import type { InFlightEntry } from "./sender-types.js";

/** Entries in flight at which an index by packet id is kept beside the array (below it, a scan is cheaper). */
export const IN_FLIGHT_INDEX_FROM = 16;
/** Longest array whose slots are kept once every entry left it. */
export const IN_FLIGHT_SLOTS_KEPT = 1024;

/**
 * A sender's messages holding a packet identifier, in send order (the resend
 * order [MQTT-4.6.0-1]), found by packet id. An array with a moving head, not a
 * Map: a Map with one insert and one delete per QoS 1 message rebuilt its hash
 * table every few messages (about 150 bytes per message, issue 19). Acks mostly
 * come in send order, so the entry asked for is at the head; past
 * `IN_FLIGHT_INDEX_FROM` entries a Map by packet id finds the others.
 */
export class InFlightTable {
  /** Entries by slot - `base`; a removed entry leaves `undefined` until the head passes it. */
  private slots: (InFlightEntry | undefined)[] = [];
  /** Slot number of `slots[0]`. */
  private base = 0;
  private head = 0;
  private count = 0;
  private byId: Map<number, InFlightEntry> | undefined;

  /** Entries in flight. */
  get size(): number {
    return this.count;
  }

  /** Add `entry` after every other (its message is sent for the first time). */
  add(entry: InFlightEntry): void {
    // Its position is `slot - base` while it is in the table.
    entry.slot = this.base + this.slots.length;
    this.slots.push(entry);
    this.count++;
    if (this.byId !== undefined) this.byId.set(entry.packetId, entry);
    else if (this.count >= IN_FLIGHT_INDEX_FROM) {
      const index = new Map<number, InFlightEntry>();
      for (let i = this.head; i < this.slots.length; i++) {
        const e = this.slots[i];
        if (e !== undefined) index.set(e.packetId, e);
      }
      this.byId = index;
    }
  }

  /** The entry holding `packetId`, if any. */
  get(packetId: number): InFlightEntry | undefined {
    if (this.byId !== undefined) return this.byId.get(packetId);
    for (let i = this.head; i < this.slots.length; i++) {
      const e = this.slots[i];
      if (e !== undefined && e.packetId === packetId) return e;
    }
    return undefined;
  }

  /** Take `entry` out (its flow ended). */
  delete(entry: InFlightEntry): void {
    const position = entry.slot - this.base;
    if (position < 0 || this.slots[position] !== entry) return;
    this.slots[position] = undefined;
    this.count--;
    if (this.byId !== undefined) {
      this.byId.delete(entry.packetId);
      if (this.count < IN_FLIGHT_INDEX_FROM / 2) this.byId = undefined;
    }
    while (this.head < this.slots.length && this.slots[this.head] === undefined) this.head++;
    if (this.head === this.slots.length) this.emptySlots();
    else if (this.head >= IN_FLIGHT_SLOTS_KEPT && this.head * 2 >= this.slots.length) {
      // A long-lived backlog: drop the free slots at the front now and then.
      this.slots.splice(0, this.head);
      this.base += this.head;
      this.head = 0;
    }
  }

  /** The entries in send order (a new array: for resends, snapshots and timers, not per message). */
  list(): InFlightEntry[] {
    const out: InFlightEntry[] = [];
    for (let i = this.head; i < this.slots.length; i++) {
      const e = this.slots[i];
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  /** Every slot is free: `pop` keeps the array's slots for the next messages (`length = 0` would not). */
  private emptySlots(): void {
    const slots = this.slots;
    this.base += slots.length;
    if (slots.length > IN_FLIGHT_SLOTS_KEPT) this.slots = [];
    else while (slots.length > 0) slots.pop();
    this.head = 0;
  }
}
