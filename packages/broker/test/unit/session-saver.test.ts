import type { BrokerStore, SessionRecord } from "@amqtt/store";
import { describe, expect, it } from "vitest";
import { SessionSaver } from "../../src/broker/session-saver.js";
import type { BrokerConnection } from "../../src/core/session-state.js";

/**
 * A connected persistent session as the saver reads it: `pubrecs` stands for the
 * session machine's state, which the snapshot copies at the moment it is taken.
 */
function connected(clientId: string, expiry = 3600) {
  const conn = {
    closed: false,
    pubrecs: 0,
    state: { clientId, protocolVersion: 5, filters: new Map(), info: {} },
    session: {
      state: "connected",
      currentSessionExpiryInterval: expiry,
      snapshot: () => ({ sender: { pubrecs: conn.pubrecs }, receiver: {} }),
    },
  };
  return conn;
}

/** A persistent store that records every session it is asked to save (no I/O: the saver's logic only). */
function recordingStore() {
  const saved: SessionRecord[] = [];
  const store = {
    persistent: true,
    saveSession: (record: SessionRecord) => {
      saved.push(record);
      return Promise.resolve();
    },
  } as unknown as BrokerStore;
  return { store, saved };
}

function saverOver(store: BrokerStore): SessionSaver {
  return new SessionSaver({
    store,
    config: { sessionExpiryInterval: undefined } as never,
    warn: (message, error) => {
      throw new Error(`${message}: ${String(error)}`);
    },
  });
}

const asConn = (c: ReturnType<typeof connected>) => c as unknown as BrokerConnection;

describe("SessionSaver.saveAtTurnEnd: one live save per connection per synchronous run", () => {
  it("saves once for every request of a run, with the state at the run's end", async () => {
    const { store, saved } = recordingStore();
    const saver = saverOver(store);
    const a = connected("a");
    const b = connected("b");
    const first = saver.saveAtTurnEnd(asConn(a));
    a.pubrecs = 1;
    const second = saver.saveAtTurnEnd(asConn(a));
    a.pubrecs = 2;
    saver.saveAtTurnEnd(asConn(b));
    expect(second).toBe(first);
    expect(saved).toHaveLength(0);
    expect(await first).toBe(true);
    expect(saved.map((r) => [r.clientId, (r.outgoing as unknown as { pubrecs: number }).pubrecs])).toEqual([
      ["a", 2],
      ["b", 0],
    ]);
  });

  it("saves again for a request after the run's save took its snapshot", async () => {
    const { store, saved } = recordingStore();
    const saver = saverOver(store);
    const a = connected("a");
    const first = saver.saveAtTurnEnd(asConn(a));
    await first;
    a.pubrecs = 5;
    const again = saver.saveAtTurnEnd(asConn(a));
    expect(again).not.toBe(first);
    await again;
    expect(saved.map((r) => (r.outgoing as unknown as { pubrecs: number }).pubrecs)).toEqual([0, 5]);
  });

  it("resolves false and writes nothing for a session that ends with its connection", async () => {
    const { store, saved } = recordingStore();
    const saver = saverOver(store);
    expect(await saver.saveAtTurnEnd(asConn(connected("gone", 0)))).toBe(false);
    expect(saved).toHaveLength(0);
  });
});
