import type { SubscribeProperties, Subscription } from "@amqtt/codec";
import type { SessionAction } from "@amqtt/session";
import type { ClientContext, PendingRequest } from "./client-context.js";
import { ClientError } from "./errors.js";
import { guard } from "./waiting.js";

/**
 * SUBSCRIBE or UNSUBSCRIBE: sent now when connected, else kept for the next
 * connection; resolves with the SUBACK/UNSUBACK reason codes.
 */
export function request(
  ctx: ClientContext,
  kind: "subscribe" | "unsubscribe",
  subscriptions: Subscription[],
  topicFilters: string[],
  signal: AbortSignal | undefined,
  properties?: SubscribeProperties,
): Promise<number[]> {
  if (ctx.state === "idle" || ctx.state === "closed")
    return Promise.reject(new ClientError(`${kind} while ${ctx.state}: connect first`));
  return new Promise((resolve, reject) => {
    const entry: PendingRequest = {
      kind,
      subscriptions,
      topicFilters,
      properties,
      ...guard<number[]>(ctx.config.clock, { signal, what: kind }, resolve, reject, () => {
        ctx.redo = ctx.redo.filter((r) => r !== entry);
      }),
    };
    if (entry.done()) return;
    if (ctx.state === "connected") ctx.sendRequest(entry);
    else ctx.redo.push(entry);
  });
}

/** Hand a request to the connected session; its packet id names it until the answer. */
export function sendRequest(ctx: ClientContext, entry: PendingRequest): void {
  const session = ctx.session;
  if (session === undefined) throw new ClientError(`${entry.kind} sent without a session`);
  let actions: SessionAction[];
  try {
    actions =
      entry.kind === "subscribe"
        ? session.subscribe(entry.subscriptions, ctx.config.clock.now(), entry.properties)
        : session.unsubscribe(entry.topicFilters, ctx.config.clock.now());
  } catch (cause) {
    entry.reject(new ClientError(`${entry.kind} refused: ${(cause as Error).message}`, { cause }));
    return;
  }
  for (const a of actions) {
    if (a.kind === "send" && "packetId" in a.packet && typeof a.packet.packetId === "number")
      ctx.requests.set(a.packet.packetId, entry);
  }
  ctx.carry(actions);
}
