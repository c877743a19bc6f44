import { ReasonCode } from "@amqtt/codec";
import type { ClientSession, DisconnectedAction } from "@amqtt/session";
import { backoffDelay } from "./backoff.js";
import type { ClientContext, PendingRequest } from "./client-context.js";
import { attemptConnection } from "./connection-attempt.js";
import { AbortError, ClientError, ClosedError, ConnectError } from "./errors.js";
import { followServerReference } from "./server-reference.js";
import { clearAllTimers } from "./session-driver.js";

/**
 * Connect now (or after backoff), retrying as configured; resolves with the
 * CONNACK code. Gives up at once on a refusal by the broker (a CONNACK code), on
 * `disconnect()` and on an abort; otherwise after `reconnect_retries` attempts
 * (negative: never) with `ConnectError("Too many failed attempts")`, and then
 * the client is closed and everything still waiting is settled.
 */
export function establish(
  ctx: ClientContext,
  immediate: boolean,
  signal: AbortSignal | undefined,
): Promise<number> {
  const run = async (): Promise<number> => {
    const retries = ctx.config.autoReconnect ? ctx.config.reconnectRetries : 0;
    let lastError: Error | undefined;
    for (let attempt = 0; retries < 0 || attempt <= retries; attempt++) {
      if (attempt > 0 || !immediate) {
        const delayMs = backoffDelay(immediate ? attempt - 1 : attempt, ctx.config.backoff);
        ctx.emit(
          "reconnecting",
          lastError === undefined ? { attempt, delayMs } : { attempt, delayMs, error: lastError },
        );
        await sleep(ctx, delayMs);
      }
      if (ctx.state === "closed") throw new ClosedError("the client was disconnected");
      if (signal?.aborted) throw new AbortError("connect aborted", { cause: signal.reason });
      try {
        return await attemptConnection(ctx, signal);
      } catch (error) {
        lastError = error as Error;
        if (error instanceof ConnectError && error.returnCode !== undefined) throw error;
        if (error instanceof ClosedError || error instanceof AbortError) throw error;
      }
    }
    throw new ConnectError(
      retries === 0 ? `connect failed: ${lastError?.message}` : "Too many failed attempts",
      undefined,
      { cause: lastError },
    );
  };
  const done = run().then(
    (code) => {
      ctx.reconnecting = undefined;
      return code;
    },
    (error: Error) => {
      ctx.reconnecting = undefined;
      if (ctx.state !== "connected") {
        ctx.state = "closed";
        ctx.failEverything(
          error instanceof ClosedError ? error : new ClientError("Will not reconnect", { cause: error }),
        );
      }
      throw error;
    },
  );
  ctx.reconnecting = done;
  return done;
}

/** Wait out a backoff delay; `disconnect()` wakes it early (through `sleepTimer`). */
function sleep(ctx: ClientContext, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const wake = (): void => {
      ctx.config.clock.clearTimeout(handle);
      ctx.sleepTimer = undefined;
      resolve();
    };
    const handle = ctx.config.clock.setTimeout(wake, ms);
    ctx.sleepTimer = { handle, wake };
  });
}

/**
 * A CONNACK accepted the connection: subscribe again when the broker lost the
 * session, send the requests and publishes that waited, settle `connect()`.
 */
export function onConnected(ctx: ClientContext, sessionPresent: boolean): void {
  const reconnect = ctx.everConnected;
  ctx.everConnected = true;
  ctx.sessionPresent = sessionPresent;
  ctx.state = "connected";
  const session = ctx.session as ClientSession;
  // The broker lost (or never had) our session: restore the subscriptions (aMQTT did not, #149).
  if (!sessionPresent && ctx.wanted.size > 0) {
    const entry: PendingRequest = {
      kind: "subscribe",
      subscriptions: [...ctx.wanted.values()],
      topicFilters: [],
      internal: true,
      resolve: () => {},
      reject: () => {},
      done: () => false,
    };
    ctx.sendRequest(entry);
  }
  for (const r of ctx.redo.splice(0)) if (!r.done()) ctx.sendRequest(r);
  for (const p of ctx.offline.drain()) if (!p.done()) ctx.sendPublish(p);
  ctx.connectWaiter?.resolve(ReasonCode.SUCCESS);
  ctx.connectWaiter = undefined;
  if (ctx.session === session) ctx.emit("connected", { sessionPresent, reconnect });
}

/**
 * The session ended its connection: keep its snapshot for the next one, keep the
 * unanswered requests for a resend, then reconnect (auto_reconnect) or close
 * and settle everything. A refusal before the CONNACK fails `connect()` instead.
 */
export function onConnectionLost(
  ctx: ClientContext,
  a: DisconnectedAction,
  session: ClientSession | undefined,
  transportError: Error | undefined,
): void {
  if (session === undefined || session !== ctx.session) return;
  ctx.silence.stop();
  clearAllTimers(ctx);
  ctx.outbox.flush(true);
  ctx.outbox.attach(undefined);
  ctx.snapshot = session.snapshot();
  ctx.session = undefined;
  ctx.connection?.close();
  ctx.connection = undefined;
  ctx.generation++;
  for (const p of ctx.pings.splice(0)) p.reject(new ClosedError("the connection ended before PINGRESP"));
  // SUBSCRIBE/UNSUBSCRIBE without an answer are void with the connection: send them again.
  for (const r of ctx.requests.values()) if (r.internal !== true) ctx.redo.push(r);
  ctx.requests.clear();
  ctx.redo = ctx.redo.filter((r) => !r.done());
  if (a.serverReference !== undefined && ctx.config.followServerReference && ctx.target !== undefined) {
    ctx.target = followServerReference(ctx.target, a.serverReference);
  }
  const error = disconnectError(ctx, a, transportError);
  if (ctx.state === "connecting" || ctx.state === "reconnecting") {
    const waiter = ctx.connectWaiter;
    ctx.connectWaiter = undefined;
    waiter?.reject(error ?? new ConnectError("connection closed before CONNACK"));
    return;
  }
  if (ctx.state !== "connected") return;
  const willReconnect = ctx.config.autoReconnect && ctx.config.reconnectRetries !== 0;
  ctx.emit("disconnected", { error, willReconnect });
  if (willReconnect) {
    ctx.state = "reconnecting";
    ctx.establish(false, undefined).catch(() => {});
  } else {
    ctx.state = "closed";
    ctx.failEverything(new ClosedError("connection lost and auto_reconnect is off", { cause: error }));
  }
}

/** Why the connection ended: nothing for our own normal DISCONNECT, a refusal before CONNACK, or a loss. */
function disconnectError(
  ctx: ClientContext,
  a: DisconnectedAction,
  transportError: Error | undefined,
): Error | undefined {
  const normal = a.reasonCode === ReasonCode.NORMAL_DISCONNECTION;
  if (a.initiator === "local" && normal) return undefined;
  if (a.initiator === "peer" && ctx.state !== "connected" && !normal)
    return new ConnectError(`the broker refused the connection (code ${a.reasonCode})`, a.reasonCode);
  return new ClientError(`connection lost (${a.initiator}, code 0x${a.reasonCode.toString(16)})`, {
    cause: transportError,
  });
}
