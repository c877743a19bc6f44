import { MqttError, ReasonCode } from "@amqtt/codec";

/** Options of the topic errors. */
export interface TopicErrorOptions {
  /** The MQTT 5.0 statement id the input breaks, without brackets, e.g. `MQTT-4.7.1-1`. */
  statement: string;
  /**
   * The MQTT 3.1.1 id of the same rule when there is one. The two versions number
   * some topic rules differently (the `#` rule is 4.7.1-1 in 5.0 and 4.7.1-2 in 3.1.1).
   */
  statement311?: string | undefined;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * A topic name that breaks a rule of section 4.7 (empty, wildcards, U+0000, too
 * long, ill-formed). Reason code 0x90 Topic Name invalid. `statement` is the 5.0
 * id, `statement311` the 3.1.1 one. Branch on `name` or `instanceof`, never on `message`.
 */
export class InvalidTopicNameError extends MqttError {
  override name = "InvalidTopicNameError";
  /** The 3.1.1 statement id of the broken rule, when 3.1.1 has it. */
  readonly statement311: string | undefined;
  /** The rejected topic name. */
  readonly topic: string;

  constructor(topic: string, message: string, options: TopicErrorOptions) {
    super(`invalid topic name: ${message}`, ReasonCode.TOPIC_NAME_INVALID, options);
    this.statement311 = options.statement311;
    this.topic = topic;
  }
}

/**
 * A topic filter that breaks a rule of section 4.7, or a `$share/` filter that
 * breaks section 4.8.2. Reason code 0x8F Topic Filter invalid. `statement` is the
 * 5.0 id, `statement311` the 3.1.1 one (absent for shared subscriptions, a 5.0 feature).
 */
export class InvalidTopicFilterError extends MqttError {
  override name = "InvalidTopicFilterError";
  /** The 3.1.1 statement id of the broken rule, when 3.1.1 has it. */
  readonly statement311: string | undefined;
  /** The rejected topic filter, as given (with its `$share/{group}/` prefix if any). */
  readonly filter: string;

  constructor(filter: string, message: string, options: TopicErrorOptions) {
    super(`invalid topic filter: ${message}`, ReasonCode.TOPIC_FILTER_INVALID, options);
    this.statement311 = options.statement311;
    this.filter = filter;
  }
}

/**
 * A 5.0 message whose Payload Format Indicator says UTF-8 (1) but whose payload is
 * not well-formed UTF-8 (section 3.3.2.3.2; the rule has no statement id). Reason
 * code 0x99 Payload format invalid, which a receiver MAY send in PUBACK, PUBREC or
 * DISCONNECT.
 */
export class PayloadFormatInvalidError extends MqttError {
  override name = "PayloadFormatInvalidError";
  /** Topic of the rejected message. */
  readonly topic: string;

  constructor(topic: string) {
    super(
      `payload of the message on ${JSON.stringify(topic)} is marked UTF-8 but is not well-formed UTF-8`,
      ReasonCode.PAYLOAD_FORMAT_INVALID,
    );
    this.topic = topic;
  }
}
