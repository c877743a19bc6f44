import { isFailure, ReasonCode } from "@amqtt/codec";
import type { Logger } from "../logger.js";
import { PluginTimeoutError } from "./errors.js";
import { FAILED, type Failed, isThenable, logHookFailure, settleWithin } from "./guard.js";
import type { LoadedPlugin } from "./plugin-loader.js";
import type { AuthAnswer, AuthzAnswer, BrokerPlugin, ClientInfo, PluginMessage } from "./types.js";

/** The combined answer of the authentication plugins. */
export type AuthResult =
  | { accepted: true }
  /** `reasonCode` is a 5.0 CONNACK code; the broker maps it to a 3.1.1 return code. */
  | { accepted: false; reasonCode: number; reasonString?: string; serverReference?: string };

/**
 * The combined answer of the authorization plugins: `true` allowed, `false`
 * denied, a number denied with that 5.0 reason code.
 */
export type AuthzVerdict = boolean | number;

type AnyHook = (this: BrokerPlugin, a?: unknown, b?: unknown, c?: unknown) => unknown;

/**
 * Calls plugin hooks with a time limit and combines their answers. A hook that
 * throws, rejects or outlives `timeoutMs` is logged with the plugin's name and
 * counts as no answer.
 */
export class HookCaller {
  /** Hook calls that outlived the timeout so far. */
  timeouts = 0;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  /** Call a hook, waiting at most the timeout; `FAILED` when it threw, rejected or timed out. */
  call(entry: LoadedPlugin, hook: string, a?: unknown, b?: unknown, c?: unknown): unknown | Promise<unknown> {
    let result: unknown;
    try {
      result = ((entry.plugin as unknown as Record<string, AnyHook>)[hook] as AnyHook).call(
        entry.plugin,
        a,
        b,
        c,
      );
    } catch (error) {
      logHookFailure(this.logger, entry.name, hook, error);
      return FAILED;
    }
    return isThenable(result) ? this.settle(entry, hook, result) : result;
  }

  /** Wait for a hook's promise at most the timeout; a rejection or timeout is logged and is `FAILED`. */
  settle<T>(entry: LoadedPlugin, hook: string, pending: PromiseLike<T>): Promise<T | Failed> {
    return settleWithin(pending, this.timeoutMs, entry.name, hook, (error) => {
      if (error instanceof PluginTimeoutError) this.timeouts++;
      logHookFailure(this.logger, entry.name, hook, error);
    });
  }

  /**
   * Combine authorization answers: the first denial decides (a number denies
   * with that code); `undefined` and `null` are no answer (aMQTT's docs; its code
   * denies on `None`, a QUIRK not copied); a failed hook is no answer.
   * Synchronous when every answer is.
   */
  authorize(
    entries: readonly LoadedPlugin[],
    hook: "authorizePublish" | "authorizeSubscribe" | "authorizeReceive",
    a: unknown,
    b: unknown,
    c?: unknown,
  ): AuthzVerdict | Promise<AuthzVerdict> {
    let pending: Promise<unknown>[] | undefined;
    for (const entry of entries) {
      const answer = this.call(entry, hook, a, b, c);
      if (answer === FAILED) continue;
      if (isThenable(answer)) {
        pending ??= [];
        pending.push(answer as Promise<unknown>);
        continue;
      }
      const denial = asDenial(answer as AuthzAnswer);
      if (denial !== undefined) return denial;
    }
    if (pending === undefined) return true;
    return Promise.all(pending).then((answers) => {
      for (const answer of answers) {
        const denial = answer === FAILED ? undefined : asDenial(answer as AuthzAnswer);
        if (denial !== undefined) return denial;
      }
      return true;
    });
  }

  /**
   * Let each plugin from `from` on change the message in turn; `null` drops it
   * and stops the chain. A failed hook leaves the message as it was.
   * Synchronous when every `onPublish` answers synchronously.
   */
  chain(
    entries: readonly LoadedPlugin[],
    from: number,
    client: ClientInfo | undefined,
    message: PluginMessage,
  ): PluginMessage | null | Promise<PluginMessage | null> {
    let current = message;
    for (let i = from; i < entries.length; i++) {
      const entry = entries[i]!;
      const answer = this.call(entry, "onPublish", client, current);
      if (isThenable(answer)) {
        return (answer as Promise<unknown>).then((settled) => {
          const next = nextMessage(current, settled);
          return next === null ? null : this.chain(entries, i + 1, client, next);
        });
      }
      const next = nextMessage(current, answer);
      if (next === null) return null;
      current = next;
    }
    return current;
  }
}

/**
 * aMQTT's rule over the authentication answers: accepted iff at least one
 * plugin accepted and none refused. The first refusal with a code gives the
 * CONNACK its code; a bare `false` is 0x87 Not authorized.
 */
export function combineAuthAnswers(answers: readonly unknown[]): AuthResult {
  let accepted = false;
  let refused = false;
  let coded: AuthResult | undefined;
  for (const answer of answers as (AuthAnswer | Failed)[]) {
    if (answer === true) accepted = true;
    else if (answer === false) refused = true;
    else if (answer !== null && typeof answer === "object" && typeof answer.refuse === "number") {
      // The first refusal with a code gives the CONNACK its code: it says more than a bare `false`.
      if (coded === undefined) {
        coded = { accepted: false, reasonCode: answer.refuse };
        if (answer.reason !== undefined) coded.reasonString = answer.reason;
        if (answer.serverReference !== undefined) coded.serverReference = answer.serverReference;
      }
    }
    // undefined, null, FAILED and anything else: no answer.
  }
  if (coded !== undefined) return coded;
  if (refused) return { accepted: false, reasonCode: ReasonCode.NOT_AUTHORIZED };
  return accepted
    ? { accepted: true }
    : {
        accepted: false,
        reasonCode: ReasonCode.NOT_AUTHORIZED,
        reasonString: "no plugin accepted the client",
      };
}

/** `false` or a code when `answer` denies, `undefined` when it allows or abstains. */
function asDenial(answer: AuthzAnswer): false | number | undefined {
  if (answer === false) return false;
  // A reason code is one byte; anything else that is not a failure code denies plainly.
  if (typeof answer === "number") return isFailure(answer) && answer <= 0xff ? answer : false;
  return undefined;
}

function nextMessage(current: PluginMessage, answer: unknown): PluginMessage | null {
  if (answer === null) return null;
  if (answer === FAILED || answer === undefined || typeof answer !== "object") return current;
  return answer as PluginMessage;
}
