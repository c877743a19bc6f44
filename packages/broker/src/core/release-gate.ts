import type { SendAction } from "@amqtt/session";

/** A connection as the gate sees it. */
export interface GatedConnection {
  /** True once the connection is over (held packets are dropped then). */
  readonly closed: boolean;
  /** Write packets the gate held, in order. */
  sendHeld(actions: readonly SendAction[]): void;
}

/** What the gate needs from the broker. */
export interface ReleaseGateHost<C extends GatedConnection> {
  /**
   * Write the connection's session as it stands now to the store; `undefined`
   * when the session is not stored (no persistent store, or it ends with its connection).
   */
  saveLive(conn: C): Promise<void> | undefined;
  /** Resolves once every earlier store write is durable; rejects when one of them failed. */
  flush(): Promise<void>;
  /** A save failed: the held PUBRELs are not sent, and the connection should end. */
  onFailure(conn: C, error: unknown): void;
}

/**
 * Holds the PUBREL packets the broker sends as a QoS 2 sender until the stored
 * session says that their PUBREC arrived (stage `pubrel`).
 *
 * Design: a receiver forgets a packet id once it sent PUBCOMP [MQTT-4.3.3-3], so a
 * broker that comes back from a crash (or the cluster node that takes over a dead
 * node's session) must not resend a PUBLISH whose PUBREL already went out: the
 * client would take it as a new message. A session stored before the PUBREC
 * still says `publish`; so the PUBREL waits until the session is saved with the
 * flow at `pubrel`. Then a resend after a crash is a PUBLISH with DUP the
 * receiver still holds (no PUBREL went out) [MQTT-4.3.3-1], or a PUBREL
 * [MQTT-4.3.3-4]: never the message a second time. One save serves every PUBREC
 * read in the same turn; PUBRELs leave in the order their PUBRECs arrived
 * [MQTT-4.6.0-3], behind earlier held ones of the same connection.
 */
export class ReleaseGate<C extends GatedConnection> {
  /** PUBRELs of this turn per connection, waiting for the turn's save to start. */
  private readonly batches = new Map<C, SendAction[]>();
  /** The last held batch per connection (the next one goes out after it). */
  private readonly tails = new Map<C, Promise<void>>();

  constructor(private readonly host: ReleaseGateHost<C>) {}

  /** Hold `action` (a PUBREL) of `conn` until its session is saved. */
  hold(conn: C, action: SendAction): void {
    let batch = this.batches.get(conn);
    if (batch === undefined) {
      batch = [];
      this.batches.set(conn, batch);
      // After the rest of this input is processed: one snapshot covers every PUBREC in it.
      queueMicrotask(() => this.save(conn));
    }
    batch.push(action);
  }

  private save(conn: C): void {
    const batch = this.batches.get(conn) ?? [];
    this.batches.delete(conn);
    const saved = this.host.saveLive(conn);
    const tail = this.tails.get(conn);
    if (saved === undefined && tail === undefined) {
      // Not stored: nothing to wait for.
      if (!conn.closed) conn.sendHeld(batch);
      return;
    }
    const durable = saved === undefined ? Promise.resolve() : saved.then(() => this.host.flush());
    const next = Promise.all([tail, durable]).then(
      () => {
        if (!conn.closed) conn.sendHeld(batch);
      },
      (error: unknown) => this.host.onFailure(conn, error),
    );
    this.tails.set(conn, next);
    void next.then(() => {
      if (this.tails.get(conn) === next) this.tails.delete(conn);
    });
  }
}
