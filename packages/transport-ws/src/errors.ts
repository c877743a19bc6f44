import { TransportError } from "@amqtt/transport";

/**
 * A text (non-binary) WebSocket data frame arrived. MQTT control packets MUST be
 * sent in binary frames and the receiver MUST close the connection otherwise
 * [MQTT-6.0.0-1]; the connection is closed with status 1003.
 */
export class NonBinaryFrameError extends TransportError {
  override name = "NonBinaryFrameError";
  constructor() {
    super("received a non-binary WebSocket frame [MQTT-6.0.0-1]");
  }
}

/** The WebSocket closed with a status other than a normal closure. */
export class WebSocketCloseError extends TransportError {
  override name = "WebSocketCloseError";
  /** The close status code, e.g. 1009 (message too big). */
  readonly code: number;
  /** The close reason text the peer sent. */
  readonly reason: string;
  constructor(code: number, reason: string) {
    super(`WebSocket closed with status ${code}${reason ? `: ${reason}` : ""}`);
    this.code = code;
    this.reason = reason;
  }
}

/** The server did not select an MQTT subprotocol [MQTT-6.0.0-4]. */
export class SubprotocolError extends TransportError {
  override name = "SubprotocolError";
}
