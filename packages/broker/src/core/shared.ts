import type { SharedGroup, Subscription } from "@amqtt/message";
import type { BrokerCapabilities } from "../config/resolve.js";
import type { SubscriptionEntry } from "./delivery-target.js";

/**
 * Chooses the one member of a shared subscription group that gets a message
 * (5.0 section 4.8.2), by the configured strategy. Online members are preferred:
 * a message goes to an offline member's queue only when no member is online.
 */
export class SharedPicker {
  private readonly counters = new Map<string, number>();
  private readonly sticky = new Map<string, string>();

  constructor(private readonly strategy: BrokerCapabilities["sharedSubscriptionStrategy"]) {}

  pick(
    group: SharedGroup<SubscriptionEntry>,
    topic: string,
    publisher: string | undefined,
  ): Subscription<SubscriptionEntry> {
    const members = group.members;
    const key = `${group.shareName}\u0000${group.filter}`;
    let start: number;
    switch (this.strategy) {
      case "random":
        start = Math.floor(Math.random() * members.length);
        break;
      case "sticky": {
        const last = this.sticky.get(key);
        const found =
          last === undefined ? -1 : members.findIndex((m) => m.clientId === last && m.value.target.online);
        start = Math.max(found, 0);
        break;
      }
      case "hash-client-id":
        start = hash(publisher ?? "") % members.length;
        break;
      case "hash-topic":
        start = hash(topic) % members.length;
        break;
      default: {
        const n = this.counters.get(key) ?? 0;
        this.counters.set(key, n + 1);
        start = n % members.length;
      }
    }
    for (let i = 0; i < members.length; i++) {
      const m = members[(start + i) % members.length]!;
      if (m.value.target.online) {
        if (this.strategy === "sticky") this.sticky.set(key, m.clientId);
        return m;
      }
    }
    return members[start]!;
  }
}

/** FNV-1a, 32 bits: stable across runs so hash strategies keep their mapping. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
