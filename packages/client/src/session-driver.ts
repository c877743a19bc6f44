import { isFailure, type Packet, PacketType, ReasonCode } from "@amqtt/codec";
import { IncomingApplicationMessage } from "@amqtt/message";
import type {
  ClientSession,
  MessageAction,
  PublishRequestAction,
  SessionAction,
  TimerKind,
} from "@amqtt/session";
import type { Connection } from "@amqtt/transport";
import type { ClientContext } from "./client-context.js";
import type { BeforeSend } from "./config.js";
import { ClientError, PublishError } from "./errors.js";

/**
 * The action interpreter: carries out what the sans-IO `ClientSession` asks for
 * (send, timers, close) and turns what it reports (connected, message, acked,
 * disconnected, ...) into the client's promises and events. The switch is
 * exhaustive: a new action kind fails to compile here until it is handled.
 */
export function carryActions(
  ctx: ClientContext,
  actions: SessionAction[],
  session: ClientSession | undefined,
  transportError?: Error,
): void {
  let justConnected: { sessionPresent: boolean; keepAlive: number } | undefined;
  // An index, not for-of: unoptimised code allocates an array iterator per call (seen in a heap profile).
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i] as SessionAction;
    switch (a.kind) {
      case "send":
        ctx.plugins.packetSent(a.packet);
        if (ctx.config.beforeSend !== undefined) holdIfAsked(ctx, a.packet, ctx.config.beforeSend);
        ctx.outbox.push(a.bytes);
        break;
      case "setTimer":
        setTimer(ctx, a.timer, a.ms, session);
        break;
      case "clearTimer":
        clearTimer(ctx, a.timer);
        break;
      case "close":
        ctx.outbox.flush(true);
        // A silent peer will not take a graceful close either.
        if (a.reason === "ping-timeout" || a.reason === "keep-alive-timeout")
          ctx.connection?.abort(new ClientError(`closed: ${a.reason}`));
        else ctx.connection?.close();
        break;
      case "connected":
        justConnected = { sessionPresent: a.sessionPresent, keepAlive: a.keepAlive };
        if (a.clientId !== "") ctx.clientId = a.clientId;
        break;
      case "message":
        // With manualAcks every message was delivered at its `publishRequest`; this is its release.
        if (!ctx.config.manualAcks) deliver(ctx, a);
        break;
      case "publishRequest":
        if (session !== undefined) requested(ctx, a, session);
        break;
      case "subscribed":
      case "unsubscribed":
        requestAnswered(ctx, a.packetId, a.reasonCodes);
        break;
      case "pong":
        for (const p of ctx.pings.splice(0)) p.resolve();
        break;
      case "acked":
        acked(ctx, a.seq, a.packetId, a.reasonCode);
        break;
      case "publishDropped":
        if (a.seq !== undefined) {
          const entry = ctx.publishes.take(a.seq);
          entry?.reject(new PublishError(`publish to ${a.topic} dropped: ${a.reason}`, a.reason));
        }
        // Without `seq` the publish never entered the flow: `handOver` (publishing.ts) reports it.
        break;
      case "authRequest":
        void answerAuth(ctx, a.data, session);
        break;
      case "protocolError":
        ctx.emit("protocolError", a.error);
        break;
      case "disconnected":
        ctx.connectionLost(a, session, transportError);
        break;
      case "published":
      case "publishAccepted":
      case "packetDropped":
        // Outcomes of one `publish` call: `handOver` (publishing.ts) reads them from the same list.
        break;
      case "authSucceeded":
        // A 5.0 re-authentication ended well (AUTH 0x00): nothing waits for it.
        break;
      case "ignoredPacket":
        // The session already judged it harmless (e.g. a SUBACK for no pending request).
        break;
      case "connectRequest":
      case "subscribeRequest":
      case "unsubscribeRequest":
        // Server-role actions: a ClientSession never returns them.
        break;
      default: {
        const unhandled: never = a;
        throw new ClientError(`unhandled session action ${(unhandled as SessionAction).kind}`);
      }
    }
  }
  if (justConnected !== undefined) {
    // The keep alive in force (the broker's Server Keep Alive when it sent one).
    ctx.silence.start(justConnected.keepAlive * 1000, ctx.config.clock.now());
    ctx.connected(justConnected.sessionPresent);
  }
}

/** `beforeSend` for a PUBLISH or a PUBREL: a promise it returns holds that packet and what follows. */
function holdIfAsked(ctx: ClientContext, packet: Packet, beforeSend: BeforeSend): void {
  if (packet.type !== PacketType.PUBREL && packet.type !== PacketType.PUBLISH) return;
  const until = beforeSend(packet);
  if (until === undefined) return;
  const connection = ctx.connection;
  ctx.outbox.hold(until, (error) => {
    // Not recorded, so not sent: the next connection resends it from the session.
    connection?.abort(new ClientError("beforeSend failed; closing the connection", { cause: error }));
  });
}

/**
 * Feed a connection's bytes to its session until the connection ends, then end the
 * session. Push-style (`connection.read`) where the transport has it: each chunk
 * goes to the session inside the transport's own data callback, with no promise or
 * microtask per chunk, so a PUBACK settles its publish in the turn it arrived in.
 * A transport without `read` (a custom `dial`) is iterated.
 */
export function readLoop(
  ctx: ClientContext,
  connection: Connection,
  session: ClientSession,
  generation: number,
): void {
  if (connection.read === undefined) {
    void iterate(ctx, connection, session, generation);
    return;
  }
  let stale = false;
  connection.read({
    data(chunk) {
      if (stale) return;
      if (generation !== ctx.generation) {
        // A newer attempt owns the client: this connection has nothing left to say.
        stale = true;
        connection.close();
        return;
      }
      try {
        received(ctx, session, chunk);
      } catch (error) {
        // What iteration did on a throw: stop reading and end the connection.
        stale = true;
        connection.abort(error instanceof Error ? error : new ClientError(String(error)));
      }
    },
    end() {
      void connection.closed.then((info) => ended(ctx, session, info.error));
    },
  });
}

async function iterate(
  ctx: ClientContext,
  connection: Connection,
  session: ClientSession,
  generation: number,
): Promise<void> {
  try {
    for await (const chunk of connection) {
      if (generation !== ctx.generation) break;
      received(ctx, session, chunk);
    }
  } catch {
    // The transport failed; `closed` below ends the session.
  }
  const info = await connection.closed;
  ended(ctx, session, info.error);
}

function received(ctx: ClientContext, session: ClientSession, chunk: Uint8Array): void {
  const now = ctx.config.clock.now();
  ctx.silence.received(now);
  ctx.plugins.bytesReceived(chunk);
  ctx.carry(session.received(chunk, now), session);
}

function ended(ctx: ClientContext, session: ClientSession, error: Error | undefined): void {
  if (ctx.session === session) ctx.carry(session.closed(ctx.config.clock.now()), session, error);
}

/** Disarm every timer the session asked for (the connection ended). */
export function clearAllTimers(ctx: ClientContext): void {
  for (const kind of [...ctx.timers.keys()]) clearTimer(ctx, kind);
}

/** Nothing received for a keep alive: a PINGREQ, whose missing PINGRESP will close the connection. */
export function pingIfConnected(ctx: ClientContext): void {
  const session = ctx.session;
  if (session !== undefined && session.state === "connected")
    ctx.carry(session.ping(ctx.config.clock.now()), session);
}

async function answerAuth(
  ctx: ClientContext,
  data: Uint8Array | undefined,
  session: ClientSession | undefined,
): Promise<void> {
  if (ctx.auth === undefined || session === undefined) return;
  const answer = await ctx.auth.onChallenge(data);
  if (!session.isClosed) ctx.carry(session.authContinue(answer, ctx.config.clock.now()), session);
}

function setTimer(ctx: ClientContext, kind: TimerKind, ms: number, session: ClientSession | undefined): void {
  clearTimer(ctx, kind);
  const handle = ctx.config.clock.setTimeout(() => {
    ctx.timers.delete(kind);
    if (session !== undefined && session === ctx.session)
      ctx.carry(session.timerFired(kind, ctx.config.clock.now()), session);
  }, ms);
  ctx.timers.set(kind, handle);
}

function clearTimer(ctx: ClientContext, kind: TimerKind): void {
  const handle = ctx.timers.get(kind);
  if (handle === undefined) return;
  ctx.config.clock.clearTimeout(handle);
  ctx.timers.delete(kind);
}

/** The application's view of a received PUBLISH (delivered now, or held for a manual ack). */
function incomingMessage(a: MessageAction | PublishRequestAction): IncomingApplicationMessage {
  return new IncomingApplicationMessage(a.packetId, a.topic, a.qos, a.payload, a.retain, a.properties);
}

function deliver(ctx: ClientContext, a: MessageAction): void {
  const message = incomingMessage(a);
  ctx.emit("message", message);
  ctx.delivery.push(message);
}

/** `manualAcks`: deliver now, acknowledge when the application says so (QoS 0 needs no answer: at once). */
function requested(ctx: ClientContext, a: PublishRequestAction, session: ClientSession): void {
  const message = incomingMessage(a);
  if (a.qos > 0) ctx.heldAcks.set(message, { session, requestId: a.requestId });
  ctx.emit("message", message);
  ctx.delivery.push(message);
  if (a.qos === 0) ctx.carry(session.answerPublish(a.requestId, 0, ctx.config.clock.now()), session);
}

function requestAnswered(ctx: ClientContext, packetId: number, codes: number[]): void {
  const entry = ctx.requests.get(packetId);
  if (entry === undefined) return;
  ctx.requests.delete(packetId);
  if (entry.kind === "subscribe") {
    entry.subscriptions.forEach((s, i) => {
      // One code per filter, in order [MQTT-3.9.3-1]; a missing one counts as a refusal.
      if (!isFailure(codes[i] ?? ReasonCode.UNSPECIFIED_ERROR)) ctx.wanted.set(s.topicFilter, s);
    });
  } else {
    for (const f of entry.topicFilters) ctx.wanted.delete(f);
  }
  entry.resolve(codes);
}

function acked(ctx: ClientContext, seq: number, packetId: number, reasonCode: number): void {
  const entry = ctx.publishes.take(seq);
  if (entry === undefined) return;
  entry.message.packetId = packetId;
  if (isFailure(reasonCode))
    entry.reject(
      new PublishError(
        `the broker refused the publish (0x${reasonCode.toString(16)})`,
        "refused",
        reasonCode,
      ),
    );
  else entry.resolve(entry.message);
}
