import { Decoder, type Packet } from "@amqtt/codec";
import type {
  AuthRequestAction,
  ConnectRequestAction,
  PublishRequestAction,
  SessionAction,
  SubscribeRequestAction,
  TimerKind,
  UnsubscribeRequestAction,
} from "../actions.js";
import type { ClientSession } from "../client-session.js";
import type { ServerSession } from "../server-session.js";

/** Which machine of a pair. */
export type Side = "client" | "server";

/** What an answering hook returns: the actions of the answer, or `"manual"` to leave the question open. */
export type ShellAnswer = SessionAction[] | "manual";

/** How the simulated shells answer the machines' questions. Each hook defaults to a permissive answer. */
export interface ShellBehaviour {
  /** Server: answer a `connectRequest`. Default: accept, assigning `auto-<n>` when the client id is empty. */
  onConnect?: (request: ConnectRequestAction, server: ServerSession, now: number) => ShellAnswer;
  /** Server: answer a `subscribeRequest`. Default: grant the requested QoS. */
  onSubscribe?: (request: SubscribeRequestAction, server: ServerSession, now: number) => ShellAnswer;
  /** Server: answer an `unsubscribeRequest`. Default: the machine's own codes. */
  onUnsubscribe?: (request: UnsubscribeRequestAction, server: ServerSession, now: number) => ShellAnswer;
  /** Server with `answerPublishes`: answer a `publishRequest`. Default: accept it (0x00). */
  onPublish?: (request: PublishRequestAction, server: ServerSession, now: number) => ShellAnswer;
  /** Server: answer an `authRequest`. Default: manual. */
  onServerAuth?: (request: AuthRequestAction, server: ServerSession, now: number) => ShellAnswer;
  /** Client: answer an `authRequest`. Default: manual. */
  onClientAuth?: (request: AuthRequestAction, client: ClientSession, now: number) => ShellAnswer;
}

/** Options of {@link pair}. */
export interface PairOptions {
  shell?: ShellBehaviour;
  /** Cut every write into chunks of at most this many bytes (default: whole writes). */
  chunkSize?: number;
  /** Return true to lose a write on the way (it is never delivered). */
  drop?: (from: Side, packet: Packet, bytes: Uint8Array) => boolean;
  /** Delay of every write and close on the way, in ms (default 0). */
  latencyMs?: number;
  /** Call `server.start` at time 0 (default true). */
  start?: boolean;
}

interface Delivery {
  at: number;
  seq: number;
  to: Side;
  bytes?: Uint8Array;
}

/**
 * A client machine and a server machine wired together with a virtual clock and
 * no sockets: `send` actions are delivered to the other side (optionally cut,
 * dropped or delayed), timers fire when the clock passes them, a `close` reaches
 * the other side as a transport close, and the server's questions are answered
 * by {@link ShellBehaviour}. Every action each side returned is kept in order.
 */
export class Pair {
  /** The virtual monotonic time in ms. */
  now = 0;
  /** Every action each machine returned, in order. */
  readonly actions: Record<Side, SessionAction[]> = { client: [], server: [] };
  /** Armed timers per side: kind -> due time. */
  readonly timers: Record<Side, Map<TimerKind, number>> = { client: new Map(), server: new Map() };
  /** Whether each side's transport was closed (by that side's `close` or the peer's). */
  readonly transportClosed: Record<Side, boolean> = { client: false, server: false };
  private readonly queue: Delivery[] = [];
  private seq = 0;
  private autoId = 0;
  private readonly deferred: (() => void)[] = [];
  private readonly options: PairOptions;

  constructor(
    readonly client: ClientSession,
    readonly server: ServerSession,
    options: PairOptions = {},
  ) {
    this.options = options;
    if (options.start !== false) this.apply("server", server.start(0));
    this.flush();
  }

  /** Run a command on the client (e.g. `p.onClient((c, now) => c.connect({ clientId: "a" }, now))`) and deliver. */
  onClient(command: (client: ClientSession, now: number) => SessionAction[]): SessionAction[] {
    const out = command(this.client, this.now);
    this.apply("client", out);
    this.flush();
    return out;
  }

  /** Run a command on the server and deliver. */
  onServer(command: (server: ServerSession, now: number) => SessionAction[]): SessionAction[] {
    const out = command(this.server, this.now);
    this.apply("server", out);
    this.flush();
    return out;
  }

  /** Feed raw bytes to one side as if its peer wrote them. */
  inject(to: Side, bytes: Uint8Array): SessionAction[] {
    const out = this.machine(to).received(bytes, this.now);
    this.apply(to, out);
    this.flush();
    return out;
  }

  /** Advance the clock by `ms`, delivering writes and firing timers in time order. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      const next = this.nextEventTime();
      if (next === undefined || next > target) break;
      this.now = next;
      this.flush();
    }
    this.now = target;
  }

  /** Packets one side wrote, decoded from its `send` actions. */
  packets(from: Side): Packet[] {
    return this.actions[from].flatMap((a) => (a.kind === "send" ? [a.packet] : []));
  }

  /** Actions of one kind a side returned. */
  events<K extends SessionAction["kind"]>(side: Side, kind: K): Extract<SessionAction, { kind: K }>[] {
    return this.actions[side].filter((a): a is Extract<SessionAction, { kind: K }> => a.kind === kind);
  }

  private machine(side: Side): ClientSession | ServerSession {
    return side === "client" ? this.client : this.server;
  }

  private nextEventTime(): number | undefined {
    let next: number | undefined;
    for (const d of this.queue) if (next === undefined || d.at < next) next = d.at;
    for (const side of ["client", "server"] as const) {
      for (const due of this.timers[side].values()) if (next === undefined || due < next) next = due;
    }
    return next;
  }

  /** Process everything due now: deferred answers, deliveries (FIFO), then timers. */
  private flush(): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const call = this.deferred.shift();
      if (call !== undefined) {
        call();
        continue;
      }
      const delivery = this.takeDue();
      if (delivery !== undefined) {
        const m = this.machine(delivery.to);
        this.apply(
          delivery.to,
          delivery.bytes === undefined ? m.closed(this.now) : m.received(delivery.bytes, this.now),
        );
        if (delivery.bytes === undefined) this.transportClosed[delivery.to] = true;
        continue;
      }
      const timer = this.takeDueTimer();
      if (timer === undefined) return;
      this.apply(timer[0], this.machine(timer[0]).timerFired(timer[1], this.now));
    }
    throw new Error("pair: too many steps at one instant (a loop between the machines?)");
  }

  private takeDue(): Delivery | undefined {
    let best = -1;
    for (let i = 0; i < this.queue.length; i++) {
      const d = this.queue[i] as Delivery;
      if (d.at > this.now) continue;
      const b = this.queue[best];
      if (b === undefined || d.at < b.at || (d.at === b.at && d.seq < b.seq)) best = i;
    }
    return best < 0 ? undefined : this.queue.splice(best, 1)[0];
  }

  private takeDueTimer(): [Side, TimerKind] | undefined {
    for (const side of ["client", "server"] as const) {
      for (const [kind, due] of this.timers[side]) {
        if (due <= this.now) {
          this.timers[side].delete(kind);
          return [side, kind];
        }
      }
    }
    return undefined;
  }

  private apply(side: Side, actions: SessionAction[]): void {
    const other: Side = side === "client" ? "server" : "client";
    const latency = this.options.latencyMs ?? 0;
    for (const action of actions) {
      this.actions[side].push(action);
      switch (action.kind) {
        case "send": {
          if (this.transportClosed[side]) break;
          if (this.options.drop?.(side, action.packet, action.bytes)) break;
          for (const chunk of cut(action.bytes, this.options.chunkSize)) {
            this.queue.push({ at: this.now + latency, seq: this.seq++, to: other, bytes: chunk });
          }
          break;
        }
        case "setTimer":
          this.timers[side].set(action.timer, this.now + action.ms);
          break;
        case "clearTimer":
          this.timers[side].delete(action.timer);
          break;
        case "close":
          if (!this.transportClosed[side]) {
            this.transportClosed[side] = true;
            this.queue.push({ at: this.now + latency, seq: this.seq++, to: other });
          }
          this.timers[side].clear();
          break;
        case "disconnected":
          this.timers[side].clear();
          break;
        default:
          this.answer(side, action);
      }
    }
  }

  private answer(side: Side, action: SessionAction): void {
    const shell = this.options.shell ?? {};
    const server = this.server;
    let run: (() => ShellAnswer) | undefined;
    if (side === "server" && action.kind === "connectRequest") {
      run = () =>
        shell.onConnect
          ? shell.onConnect(action, server, this.now)
          : server.accept(
              action.needsClientId ? { assignedClientId: `auto-${++this.autoId}` } : {},
              this.now,
            );
    } else if (side === "server" && action.kind === "subscribeRequest") {
      run = () =>
        shell.onSubscribe
          ? shell.onSubscribe(action, server, this.now)
          : server.answerSubscribe(
              action.packetId,
              action.subscriptions.map((s) => s.refusedWith ?? s.qos),
              this.now,
            );
    } else if (side === "server" && action.kind === "unsubscribeRequest") {
      run = () =>
        shell.onUnsubscribe
          ? shell.onUnsubscribe(action, server, this.now)
          : server.answerUnsubscribe(action.packetId, this.now);
    } else if (side === "server" && action.kind === "publishRequest") {
      run = () =>
        shell.onPublish
          ? shell.onPublish(action, server, this.now)
          : server.answerPublish(action.requestId, 0, this.now);
    } else if (side === "server" && action.kind === "authRequest" && shell.onServerAuth) {
      const hook = shell.onServerAuth;
      run = () => hook(action, server, this.now);
    } else if (side === "client" && action.kind === "authRequest" && shell.onClientAuth) {
      const hook = shell.onClientAuth;
      run = () => hook(action, this.client, this.now);
    }
    if (run === undefined) return;
    const go = run;
    this.deferred.push(() => {
      if (this.machine(side).isClosed) return;
      const out = go();
      if (out !== "manual") this.apply(side, out);
    });
  }
}

/** Wire `client` and `server` together (see {@link Pair}). */
export function pair(client: ClientSession, server: ServerSession, options: PairOptions = {}): Pair {
  return new Pair(client, server, options);
}

function cut(bytes: Uint8Array, size: number | undefined): Uint8Array[] {
  if (size === undefined || size >= bytes.length) return [bytes];
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

/** Decode bytes written by one side (test helper for raw assertions). */
export function decodeAll(bytes: Uint8Array, protocolVersion: 3 | 4 | 5): Packet[] {
  return new Decoder({ protocolVersion }).decodeAll(bytes);
}
