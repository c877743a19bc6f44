import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import {
  type AddressInfo,
  ConnectionBase,
  type ConnectionOptions,
  ConnectionResetError,
  type TlsInfo,
  tlsInfoOf,
} from "@amqtt/transport";
import type { Proxied } from "./proxy-accept.js";

const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_WRITE_AFTER_END"]);

/** The connection a socket belongs to, so the socket's listeners can be shared functions. */
const OWNER = Symbol("amqtt.tcpConnection");
type OwnedSocket = Socket & { [OWNER]: TcpConnection };

/**
 * A connection over a connected `net.Socket` or `tls.TLSSocket`. Nagle is off
 * (`noDelay`): MQTT packets are small and latency matters. Sends made in
 * one event-loop turn are corked and leave in one `writev` on the next tick
 * (unless `sendsBatched`: the application batches, each send is written at once).
 * `send` reports the socket's own high-water mark; reading pauses the socket.
 */
export class TcpConnection extends ConnectionBase {
  readonly #socket: Socket;
  readonly #tls: TlsInfo | undefined;
  readonly #transport: "tcp" | "tls" | "unix";
  #corked = false;
  #localAddress: AddressInfo | undefined;
  /** The peer given at construction (PROXY header, unix path), or built on first read. */
  #remoteAddress: AddressInfo | undefined;
  #error: Error | undefined;

  /**
   * See {@link Connection.remoteAddress}. Built on first read from the peer
   * address Node fetched (and keeps after the close) at construction: an
   * address object per idle connection that nobody reads costs heap.
   */
  get remoteAddress(): AddressInfo {
    if (this.#remoteAddress === undefined) {
      const socket = this.#socket;
      this.#remoteAddress = {
        transport: this.#transport,
        host: socket.remoteAddress,
        port: socket.remotePort,
        family: socket.remoteFamily,
      };
    }
    return this.#remoteAddress;
  }

  /**
   * See {@link Connection.localAddress}. Read on demand: `getsockname` per accepted
   * connection was a visible share of a broker's connection rate, and few need it.
   */
  get localAddress(): AddressInfo {
    if (this.#localAddress === undefined) {
      const socket = this.#socket;
      this.#localAddress = {
        transport: this.#transport,
        host: socket.localAddress,
        port: socket.localPort,
        family: socket.localFamily,
      };
    }
    return this.#localAddress;
  }

  /**
   * What the PROXY protocol header said, on a listener with `proxyProtocol`:
   * `remoteAddress` is then the client's, and this holds the header and the
   * proxy's own address. `undefined` otherwise.
   */
  readonly proxied: Proxied | undefined;

  /**
   * Wrap a socket that is already connected (and, for TLS, past its handshake).
   * Listeners and `dialTcp` do this for you. `peer.remoteAddress` replaces the
   * socket's own peer address (a PROXY protocol header's client, a unix
   * socket's path); `peer.transport` says what the socket is when the caller
   * knows (a listener does), sparing the check, and that the caller turned
   * Nagle off (the listener's server does it at accept); without it the
   * constructor does.
   */
  constructor(
    socket: Socket,
    options: ConnectionOptions = {},
    peer?: { remoteAddress?: AddressInfo; proxied?: Proxied; transport?: "tcp" | "tls" | "unix" },
  ) {
    super(options);
    this.#socket = socket;
    // `encrypted` is set on every `tls.TLSSocket` and on no plain socket; testing it
    // (not `instanceof TLSSocket`) keeps `node:tls` out of a TCP-only process.
    const tls = (socket as Partial<TLSSocket>).encrypted === true;
    // A unix domain socket has no peer address or family. Reading `remoteAddress`
    // fetches and caches the peer address now, while the socket is open.
    const transport =
      peer?.transport ??
      (tls
        ? "tls"
        : socket.remoteFamily === undefined && socket.remoteAddress === undefined
          ? "unix"
          : "tcp");
    if (peer?.transport !== undefined && transport !== "unix") void socket.remoteAddress;
    this.#transport = transport;
    this.#tls = tls ? tlsInfoOf(socket as TLSSocket) : undefined;
    this.#remoteAddress = peer?.remoteAddress;
    this.proxied = peer?.proxied;
    // A listener's server sets it at accept (`noDelay`); a dialled socket here.
    if (peer?.transport === undefined) socket.setNoDelay(true);
    // Shared listener functions (`this` is the socket), not closures per connection:
    // a broker holds thousands of idle connections.
    (socket as OwnedSocket)[OWNER] = this;
    socket.on("data", TcpConnection.#onData);
    socket.on("drain", TcpConnection.#onDrain);
    socket.on("end", TcpConnection.#onEnd);
    socket.on("error", TcpConnection.#onError);
    socket.on("close", TcpConnection.#onClose);
    if (socket.destroyed) queueMicrotask(() => this.carrierClosed(this.#error));
  }

  static #onData(this: OwnedSocket, chunk: Buffer): void {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the socket (one listener for every connection)
    this[OWNER].carrierReceived(chunk);
  }

  static #onDrain(this: OwnedSocket): void {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the socket (one listener for every connection)
    this[OWNER].carrierDrained();
  }

  static #onEnd(this: OwnedSocket): void {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the socket (one listener for every connection)
    this[OWNER].carrierEnding();
  }

  static #onError(this: OwnedSocket, error: NodeJS.ErrnoException): void {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the socket (one listener for every connection)
    const owner = this[OWNER];
    owner.#error ??= RESET_CODES.has(error.code ?? "")
      ? new ConnectionResetError(
          `${owner.remoteAddress.transport} connection reset by peer (${error.code})`,
          {
            cause: error,
          },
        )
      : error;
  }

  static #onClose(this: OwnedSocket): void {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the socket (one listener for every connection)
    const owner = this[OWNER];
    owner.carrierClosed(owner.#error);
  }

  /** See {@link Connection.tls}. */
  override get tls(): TlsInfo | undefined {
    return this.#tls;
  }

  protected override get carrierBufferedBytes(): number {
    return this.#socket.writableLength;
  }

  protected override write(bytes: Uint8Array): boolean {
    // The application gathered this turn's packets itself: one write, no cork and no tick.
    if (this.sendsBatched) return this.#socket.write(bytes);
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(TcpConnection.#uncorkLater, this);
    }
    return this.#socket.write(bytes);
  }

  static #uncorkLater(connection: TcpConnection): void {
    connection.#uncork();
  }

  #uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#socket.uncork();
  }

  protected override pauseCarrier(): void {
    this.#socket.pause();
  }

  protected override resumeCarrier(): void {
    this.#socket.resume();
  }

  protected override endCarrier(): void {
    this.#uncork();
    this.#socket.end();
  }

  protected override destroyCarrier(): void {
    this.#corked = false;
    this.#socket.destroy();
  }
}
