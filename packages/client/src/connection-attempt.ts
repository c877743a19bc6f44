import type { ConnectProperties } from "@amqtt/codec";
import { ClientSession, type ClientSessionOptions, type ConnectOptions } from "@amqtt/session";
import type { Connection } from "@amqtt/transport";
import type { ClientContext } from "./client-context.js";
import { dialUri } from "./dial.js";
import { ClientError, ClosedError, ConnectError } from "./errors.js";
import { readLoop } from "./session-driver.js";
import type { BrokerUri } from "./uri.js";
import { guard } from "./waiting.js";

const encoder = new TextEncoder();

/**
 * One connection attempt: dial, CONNECT, wait for the CONNACK (or the end of an
 * enhanced authentication), all within `connection_timeout`. Resolves with the
 * CONNACK code; a dial that completes after the attempt gave up is closed.
 */
export async function attemptConnection(
  ctx: ClientContext,
  signal: AbortSignal | undefined,
): Promise<number> {
  const target = ctx.target as BrokerUri;
  const generation = ++ctx.generation;
  const dial = ctx.config.dial ?? dialUri;
  const deadline = ctx.config.connectionTimeout * 1000;
  const abort = new AbortController();
  let opened: Connection | undefined;
  const connected = new Promise<number>((resolve, reject) => {
    ctx.connectWaiter = guard<number>(
      ctx.config.clock,
      { signal, timeoutMs: deadline, what: "connect" },
      resolve,
      reject,
      () => {
        abort.abort();
        opened?.abort(new ClientError("connect gave up"));
      },
    );
  });
  connected.catch(() => {});
  const dialing = dial(target.url, ctx.tls, abort.signal);
  // A dial that completes after the attempt gave up must not leak its connection.
  dialing.then(
    (c) => {
      if (abort.signal.aborted || generation !== ctx.generation)
        c.abort(new ClosedError("connect abandoned"));
    },
    () => {},
  );
  const connection = await Promise.race([
    dialing.catch((cause: Error) => {
      throw new ConnectError(`cannot reach ${target.url.href}: ${cause.message}`, undefined, { cause });
    }),
    connected.then(() => undefined as never),
  ]);
  if (generation !== ctx.generation || ctx.state === "closed" || abort.signal.aborted) {
    connection.abort(new ClosedError("connect abandoned"));
    return connected;
  }
  opened = connection;
  ctx.connection = connection;
  ctx.outbox.attach(connection);
  ctx.plugins.connectionOpened();
  const session = newSession(ctx);
  ctx.session = session;
  readLoop(ctx, connection, session, generation);
  ctx.carry(session.connect(connectOptions(ctx, target), ctx.config.clock.now()));
  return connected;
}

/** The CONNECT: client id, credentials from the URI, the will, 5.0 properties and enhanced auth. */
function connectOptions(ctx: ClientContext, target: BrokerUri): ConnectOptions {
  const willConfig = ctx.config.will;
  const v5 = ctx.config.protocolVersion === 5;
  const properties: ConnectProperties = { ...ctx.connectProperties };
  if (v5 && properties.sessionExpiryInterval === undefined) {
    properties.sessionExpiryInterval =
      ctx.config.sessionExpiryInterval ?? (ctx.cleanSession ? 0 : 0xffff_ffff);
  }
  if (v5 && ctx.auth !== undefined) {
    properties.authenticationMethod = ctx.auth.method;
    if (ctx.auth.data !== undefined) properties.authenticationData = ctx.auth.data;
  }
  // A session resumed by the broker must not be cleaned on a reconnect, whatever the first call said.
  return {
    clientId: ctx.clientId,
    clean: ctx.cleanSession,
    keepAlive: ctx.config.keepAlive, // as configured (aMQTT sent keep_alive - ping_delay: a QUIRK)
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: encoder.encode(target.password) }),
    ...(willConfig === undefined
      ? {}
      : {
          will: {
            topic: willConfig.topic,
            payload:
              typeof willConfig.message === "string"
                ? encoder.encode(willConfig.message)
                : willConfig.message,
            qos: willConfig.qos ?? 0,
            retain: willConfig.retain ?? false,
          },
        }),
    ...(v5 ? { properties } : {}),
  };
}

/** A fresh session, or the last connection's snapshot restored (same protocol version only). */
function newSession(ctx: ClientContext): ClientSession {
  const options: ClientSessionOptions = {
    protocolVersion: ctx.config.protocolVersion,
    maxQueuedMessages: ctx.config.maxOfflineMessages,
    maxQueuedBytes: ctx.config.maxOfflineBytes,
    overflow: ctx.config.offlineOverflow,
    ...(ctx.config.manualAcks ? { answerPublishes: true } : {}),
    ...(ctx.config.pingTimeoutMs === undefined ? {} : { pingTimeoutMs: ctx.config.pingTimeoutMs }),
  };
  const snapshot = ctx.snapshot;
  if (snapshot === undefined || snapshot.protocolVersion !== ctx.config.protocolVersion)
    return new ClientSession(options);
  return ClientSession.restore(snapshot, options);
}
