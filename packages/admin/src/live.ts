import type { Broker, ClientInfo, PluginMessage } from "@amqtt/broker";
import { topicMatches } from "@amqtt/message";
import type { WebSocket } from "ws";
import { payloadView } from "./http-kit.js";

/** Bytes a viewer's socket may hold unsent before frames are dropped for it. */
export const DEFAULT_VIEWER_BUFFER_BYTES = 1024 * 1024;
/** Viewers at once. */
export const DEFAULT_MAX_VIEWERS = 50;
/** Payload bytes shown per frame. */
export const LIVE_PREVIEW_BYTES = 4096;

interface Viewer {
  socket: WebSocket;
  filter: string;
  /** Frames not sent since the last `{dropped}` notice. */
  dropped: number;
}

/** Options of {@link LiveHub}. */
export interface LiveOptions {
  maxViewers?: number;
  bufferBytes?: number;
  /** Called once per dropped frame (the admin counter for `/metrics`). */
  onDrop?: () => void;
}

/**
 * The live topic viewer: WebSocket clients each watch one topic filter and get
 * `{topic, qos, retain, payload, encoding, time}` frames of the messages the
 * broker routes. One broker listener serves every viewer; while there is none
 * the broker is not asked to emit messages at all. A viewer whose socket holds
 * more than `bufferBytes` unsent loses frames (counted), and hears
 * `{dropped: n}` once it drains.
 */
export class LiveHub {
  private readonly viewers = new Set<Viewer>();
  private off: (() => void) | undefined;
  readonly maxViewers: number;
  private readonly bufferBytes: number;

  constructor(
    private readonly broker: Broker,
    private readonly options: LiveOptions = {},
  ) {
    this.maxViewers = options.maxViewers ?? DEFAULT_MAX_VIEWERS;
    this.bufferBytes = options.bufferBytes ?? DEFAULT_VIEWER_BUFFER_BYTES;
  }

  /** Viewers now. */
  get size(): number {
    return this.viewers.size;
  }

  /** True when another viewer would be over the bound. */
  get full(): boolean {
    return this.viewers.size >= this.maxViewers;
  }

  /** Watch `filter` on `socket` until it closes. */
  add(socket: WebSocket, filter: string): void {
    const viewer: Viewer = { socket, filter, dropped: 0 };
    this.viewers.add(viewer);
    socket.once("close", () => {
      this.viewers.delete(viewer);
      if (this.viewers.size === 0) {
        this.off?.();
        this.off = undefined;
      }
    });
    this.off ??= this.broker.on("message", (client, message) => this.route(client, message));
  }

  /** Close every viewer. */
  close(): void {
    for (const v of this.viewers) v.socket.close(1001, "admin listener closing");
    this.off?.();
    this.off = undefined;
  }

  private route(_client: ClientInfo | undefined, message: PluginMessage): void {
    let frame: string | undefined;
    for (const v of this.viewers) {
      if (!topicMatches(v.filter, message.topic)) continue;
      if (v.socket.bufferedAmount > this.bufferBytes) {
        v.dropped++;
        this.options.onDrop?.();
        continue;
      }
      if (v.dropped > 0) {
        v.socket.send(JSON.stringify({ dropped: v.dropped }));
        v.dropped = 0;
      }
      frame ??= render(message);
      v.socket.send(frame);
    }
  }
}

function render(message: PluginMessage): string {
  const shown = payloadView(message.payload, LIVE_PREVIEW_BYTES);
  return JSON.stringify({
    topic: message.topic,
    qos: message.qos,
    retain: message.retain,
    payload: shown.payload,
    encoding: shown.encoding,
    payloadSize: message.payload.length,
    time: new Date().toISOString(),
  });
}
