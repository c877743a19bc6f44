// A minimal MQTT client over a raw socket with @amqtt/codec, for the resource
// benchmarks: no client-side bookkeeping, so what is measured is the broker.
import { connect as netConnect } from "node:net";
import { Decoder, encode, PacketType } from "@amqtt/codec";

/** One connection: `send(packet)`, `next(type)` resolves with the next packet of that type. */
export class RawClient {
  constructor(port, version = 4) {
    this.version = version;
    this.decoder = new Decoder({ protocolVersion: version, maxPacketSize: 1 << 24 });
    this.waiters = [];
    this.closed = new Promise((resolve) => {
      this.socket = netConnect(port, "127.0.0.1");
      this.socket.setNoDelay(true);
      this.socket.on("close", resolve);
      this.socket.on("error", () => {});
    });
    this.socket.on("data", (chunk) => {
      this.decoder.push(new Uint8Array(chunk));
      for (let p = this.decoder.next(); p !== undefined; p = this.decoder.next()) {
        const i = this.waiters.findIndex((w) => w.type === p.type);
        if (i >= 0) this.waiters.splice(i, 1)[0].resolve(p);
      }
    });
  }

  send(packet) {
    return this.socket.write(encode(packet, this.version));
  }

  next(type) {
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  /** CONNECT (with `extra` fields: keepAlive, will, properties) and wait for CONNACK. */
  async open(clientId, clean = true, extra = {}) {
    const ack = this.next(PacketType.CONNACK);
    this.send({
      type: PacketType.CONNECT,
      protocolVersion: this.version,
      clean,
      keepAlive: 0,
      clientId,
      ...extra,
    });
    return ack;
  }

  destroy() {
    this.socket.destroy();
    return this.closed;
  }
}
