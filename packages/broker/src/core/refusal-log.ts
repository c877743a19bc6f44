import type { MqttError } from "@amqtt/codec";
import type { BrokerLimits } from "../config/resolve.js";
import type { Logger } from "../logger.js";
import type { BrokerStats, ClientInfo } from "../plugins/types.js";
import { LogLimiter } from "./log-limiter.js";
import type { RetainedRefusal } from "./retained.js";

/**
 * How the broker reports what hostile or careless clients make it refuse:
 * protocol errors (before CONNECT too) and retained messages over the bounds.
 * Each kind is logged through its own {@link LogLimiter}, so a flood cannot
 * flood the log; retained refusals are also counted (`retainedRefused`).
 */
export class RefusalLog {
  private readonly protocolErrors: LogLimiter;
  private readonly retained: LogLimiter;

  constructor(
    logger: Logger,
    now: () => number,
    private readonly limits: Pick<BrokerLimits, "maxRetainedMessages" | "maxRetainedBytes">,
    private readonly counters: BrokerStats,
    /** Also report each retained refusal as a drop (the `dropped` event). */
    private readonly dropped: (clientId: string, topic: string, reason: string) => void,
  ) {
    this.protocolErrors = new LogLimiter(logger, now);
    this.retained = new LogLimiter(logger, now);
  }

  /** A client broke a rule; `beforeConnect` while no session is attached. Never logs the bytes. */
  protocolError(info: ClientInfo, beforeConnect: boolean, error: MqttError): void {
    this.protocolErrors.log("info", beforeConnect ? "connection refused before CONNECT" : "protocol error", {
      listener: info.listener,
      remoteAddress: info.remoteAddress,
      ...(beforeConnect ? {} : { clientId: info.clientId }),
      error: error.name,
      reason: error.message,
      reasonCode: error.reasonCode,
    });
  }

  /** A retained message was not kept: over `bound`; `answer` says what the publisher was told. Counted, logged, reported as dropped. */
  retainedRefused(
    client: ClientInfo | undefined,
    topic: string,
    bound: RetainedRefusal,
    answer: string,
  ): void {
    this.counters.retainedRefused++;
    this.retained.log("warn", "retained message refused", {
      clientId: client?.clientId,
      topic,
      bound:
        bound === "count"
          ? `max_retained_messages ${this.limits.maxRetainedMessages}`
          : `max_retained_bytes ${this.limits.maxRetainedBytes}`,
      answer,
    });
    this.dropped(client?.clientId ?? "", topic, `retained store full (${bound})`);
  }
}
