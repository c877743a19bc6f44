import {
  PacketType,
  type ProtocolVersion,
  type PublishProperties,
  PublishTemplate,
  type QoS,
} from "@amqtt/codec";

/** Most shapes one message is encoded in; past it, copies are encoded one by one. */
export const MAX_SHARED_SHAPES = 8;

interface Shape {
  version: ProtocolVersion;
  qos: QoS;
  retain: boolean;
  properties: PublishProperties | undefined;
  template: PublishTemplate;
}

/**
 * One application message on its way to many subscribers: the PUBLISH is encoded
 * once per shape (protocol level, QoS, RETAIN, properties object) and shared, and
 * at QoS 1/2 only the packet id is patched into a copy (architecture section 3).
 * A broker makes one per routed message and passes it to every
 * `ServerSession.deliver` of that message; the payload must not change meanwhile.
 * Properties are told apart by identity, so give every subscriber with the same
 * properties the same object. At most {@link MAX_SHARED_SHAPES} shapes are kept.
 */
export class SharedPublish {
  #shapes: Shape[] | undefined;

  /** @param topic the topic every copy carries; @param payload the bytes every copy carries. */
  constructor(
    readonly topic: string,
    readonly payload: Uint8Array,
  ) {}

  /** Shapes encoded so far. */
  get shapeCount(): number {
    return this.#shapes?.length ?? 0;
  }

  /**
   * The template of one shape, encoded at its first use; `undefined` once
   * {@link MAX_SHARED_SHAPES} other shapes exist (the caller then encodes itself).
   */
  template(
    version: ProtocolVersion,
    qos: QoS,
    retain: boolean,
    properties: PublishProperties | undefined,
  ): PublishTemplate | undefined {
    const shapes = this.#shapes;
    if (shapes !== undefined) {
      for (const s of shapes) {
        if (s.version === version && s.qos === qos && s.retain === retain && s.properties === properties)
          return s.template;
      }
      if (shapes.length >= MAX_SHARED_SHAPES) return undefined;
    }
    const packet = {
      type: PacketType.PUBLISH,
      topic: this.topic,
      payload: this.payload,
      qos,
      retain,
      dup: false,
      ...(properties === undefined ? {} : { properties }),
    } as const;
    const template = new PublishTemplate(packet, version);
    this.#shapes ??= [];
    this.#shapes.push({ version, qos, retain, properties, template });
    return template;
  }
}
