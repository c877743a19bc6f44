/**
 * The keys of one cluster under a prefix. Every key carries a hash tag (`{...}`)
 * so each Lua script touches one Redis Cluster slot: membership keys share
 * `{m}`, a session's owner is alone under `{s:<clientId>}`, a node's owned set,
 * routes and inbox each sit under the node's own tags.
 */
export class ClusterKeys {
  /** Sorted set: node id -> lease expiry (ms, the engine's clock). */
  readonly members: string;
  /** Hash: node id -> joinedAt (ms) of its current run; kept after a leave until someone adopts the node. */
  readonly joined: string;
  /** The pub/sub channel of membership and route changes (not a key: pub/sub reaches every Cluster node). */
  readonly events: string;

  constructor(readonly prefix: string) {
    this.members = `${prefix}{m}:members`;
    this.joined = `${prefix}{m}:joined`;
    this.events = `${prefix}events`;
  }

  /** The pub/sub channel on which other nodes confirm that their replicas hold the node's route changes. */
  routeAcks(nodeId: string): string {
    return `${this.prefix}acks:${nodeId}`;
  }
  /** Hash `node`, `epoch`: the session's owner. */
  owner(clientId: string): string {
    return `${this.prefix}{s:${clientId}}:owner`;
  }
  /** Hash `node`, `epoch`, `expires`, `info`: a named lease (alone under its own tag). */
  lease(name: string): string {
    return `${this.prefix}{l:${name}}:lease`;
  }
  /** Set: client ids whose sessions the node owns. */
  owned(nodeId: string): string {
    return `${this.prefix}{o:${nodeId}}:owned`;
  }
  /** Set: the node's route keys (`group\0filter`). */
  routes(nodeId: string): string {
    return `${this.prefix}{r:${nodeId}}:routes`;
  }
  /** Stream: the node's inbox (consumer group {@link INBOX_GROUP}). */
  inbox(nodeId: string): string {
    return `${this.prefix}{i:${nodeId}}:inbox`;
  }
  /** String: the node's last published status (expires with the lease unless published again). */
  status(nodeId: string): string {
    return `${this.prefix}{n:${nodeId}}:status`;
  }
  /** String: the node's maxInboxEnvelopes, read by senders' scripts (same slot as the inbox). */
  inboxLimit(nodeId: string): string {
    return `${this.prefix}{i:${nodeId}}:limit`;
  }
}

/** The consumer group of every inbox stream (one consumer: the node itself). */
export const INBOX_GROUP = "node";
