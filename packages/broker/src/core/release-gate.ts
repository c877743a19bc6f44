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
   * Save the connection's session once the current synchronous run is done, one
   * save for every request of the run (the same promise); resolves to whether it
   * is stored (not: no persistent store, or it ends with its connection).
   */
  saveAtTurnEnd(conn: C): Promise<boolean>;
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
  /** Per connection, the batch that still takes PUBRELs: the one whose save has not started. */
  private readonly open = new Map<C, HeldBatch>();
  /** The last held batch per connection (the next one goes out after it). */
  private readonly tails = new Map<C, Promise<void>>();

  constructor(private readonly host: ReleaseGateHost<C>) {}

  /** Hold `action` (a PUBREL) of `conn` until its session is saved. */
  hold(conn: C, action: SendAction): void {
    // Asked after the PUBREC changed the session: whichever save this is, its
    // snapshot is taken later and holds the flow at `pubrel`. PUBRELs that share
    // a save share a batch.
    const saved = this.host.saveAtTurnEnd(conn);
    const open = this.open.get(conn);
    if (open !== undefined && open.saved === saved) {
      open.actions.push(action);
      return;
    }
    const batch: HeldBatch = { saved, actions: [action] };
    this.open.set(conn, batch);
    this.release(conn, batch);
  }

  private release(conn: C, batch: HeldBatch): void {
    const close = () => {
      if (this.open.get(conn) === batch) this.open.delete(conn);
    };
    const durable = batch.saved.then((stored) => (stored ? this.host.flush() : undefined));
    const next = Promise.all([this.tails.get(conn), durable]).then(
      () => {
        close();
        if (!conn.closed) conn.sendHeld(batch.actions);
      },
      (error: unknown) => {
        close();
        this.host.onFailure(conn, error);
      },
    );
    this.tails.set(conn, next);
    void next.then(() => {
      if (this.tails.get(conn) === next) this.tails.delete(conn);
    });
  }
}

/** PUBRELs waiting for one save. */
interface HeldBatch {
  readonly saved: Promise<boolean>;
  readonly actions: SendAction[];
}
