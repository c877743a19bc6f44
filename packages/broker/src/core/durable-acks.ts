import type { SessionAction } from "@amqtt/session";
import type { BrokerStore } from "@amqtt/store";
import type { ClientConnection } from "./client-connection.js";
import type { LatencyHistogram } from "./traffic.js";

/**
 * Holds a publisher's PUBACK/PUBREC until the store made the message durable.
 *
 * With a persistent store, a QoS 1/2 message the broker accepted is routed at
 * once (so subscribers online get it without waiting on the disk), but the
 * acknowledgement goes out only after a `flush()` called after the routing
 * resolved: once the publisher hears "got it", a crash cannot lose what was
 * queued for offline sessions or retained. One flush serves every message
 * routed before it (stores group-commit), so a pipelining publisher is not
 * slowed to one sync per message.
 *
 * Acknowledgements leave in the order the PUBLISH packets arrived
 * [MQTT-4.6.0-2]: an answer that needs no flush still waits behind a held one
 * of the same connection.
 */
export class DurableAcks {
  private readonly held = new WeakMap<ClientConnection, Promise<void>>();
  /** Connections with an entry in `held`: while 0 (a memory store), a PUBLISH answer skips the WeakMap lookup. */
  private heldCount = 0;

  constructor(
    private readonly store: () => BrokerStore,
    /** Routing that went asynchronous (plugins) since the last call, so its store writes are covered too. */
    private readonly pendingRouting: () => Promise<unknown> | undefined,
    private readonly onFailure: (conn: ClientConnection, error: unknown) => void,
    /** Where the time each flush took is recorded. */
    private readonly flushLatency?: LatencyHistogram,
  ) {}

  /** The store's flush, timed. */
  private flush(): Promise<void> {
    const histogram = this.flushLatency;
    if (histogram === undefined) return this.store().flush();
    const t0 = performance.now();
    return this.store()
      .flush()
      .then(() => histogram.observe((performance.now() - t0) / 1000));
  }

  /**
   * Carry out the actions of an answered PUBLISH: the `message` actions now
   * (routing, store writes), the rest (the acknowledgement) now or after the
   * flush. `durable` says whether this message needs the flush.
   */
  apply(
    conn: ClientConnection,
    actions: SessionAction[],
    durable: boolean,
    /** Writes that belong with the routed message (same turn, so the same store batch). */
    alongside?: () => void,
  ): void {
    const waiting = this.heldCount === 0 ? undefined : this.held.get(conn);
    if (!durable && waiting === undefined) {
      conn.apply(actions);
      return;
    }
    const later: SessionAction[] = [];
    for (const action of actions) {
      if (action.kind === "message") conn.apply([action]);
      else later.push(action);
    }
    alongside?.();
    // Everything routed so far is covered by this flush.
    const routing = durable ? this.pendingRouting() : undefined;
    const ready = !durable
      ? Promise.resolve()
      : routing === undefined
        ? this.flush()
        : routing.then(() => this.flush());
    const chained = (waiting === undefined ? ready : Promise.all([waiting, ready])).then(
      () => {
        if (!conn.closed) conn.apply(later);
      },
      (error: unknown) => {
        // Not durable: no acknowledgement. The client sends the PUBLISH again on its next connection.
        this.onFailure(conn, error);
      },
    );
    if (waiting === undefined) this.heldCount++;
    this.held.set(conn, chained);
    void chained.then(() => {
      if (this.held.get(conn) !== chained) return;
      this.held.delete(conn);
      this.heldCount--;
    });
  }
}
