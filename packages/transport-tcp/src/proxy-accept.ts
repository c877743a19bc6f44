import type { Socket } from "node:net";
import {
  type AddressInfo,
  AddressMatcher,
  type ProxyHeader,
  ProxyHeaderDecoder,
  ProxyProtocolError,
  UntrustedProxyError,
} from "@amqtt/transport";

/** Default of {@link ProxyProtocolOptions.headerTimeoutMs}: 5 seconds. */
export const DEFAULT_PROXY_HEADER_TIMEOUT_MS = 5_000;

/** The PROXY protocol (HAProxy's v1 text and v2 binary headers) on a TCP or TLS listener. */
export interface ProxyProtocolOptions {
  /**
   * Who may speak it: IPv4/IPv6 addresses and CIDR ranges (`"127.0.0.1"`,
   * `"10.0.0.0/8"`, `"fd00::/8"`) or a ready {@link AddressMatcher}. A connection
   * from any other address is closed at once, before a byte is read.
   */
  trusted: readonly string[] | AddressMatcher;
  /** A trusted proxy that has not sent its whole header by then is disconnected. Default 5 s. */
  headerTimeoutMs?: number;
  /** Largest v2 header (with TLVs) accepted; default 4 KiB. */
  maxHeaderBytes?: number;
  /** Told of every connection closed for the PROXY protocol (untrusted, malformed, late), for logs. */
  onRefused?: (error: UntrustedProxyError | ProxyProtocolError, peer: AddressInfo) => void;
}

/** What a connection learned from its header: the client's address and the header itself. */
export interface Proxied {
  readonly remoteAddress: AddressInfo;
  readonly header: ProxyHeader;
  /** The proxy's own address (the socket's peer). */
  readonly proxyAddress: AddressInfo;
}

/**
 * Reads the PROXY header at the start of each accepted socket, then hands the
 * socket on with the bytes after the header put back (`unshift`), so TLS or
 * MQTT starts where the header ended.
 */
export class ProxyAcceptor {
  readonly #trusted: AddressMatcher;
  readonly #timeoutMs: number;
  readonly #maxHeaderBytes: number | undefined;
  readonly #onRefused: ProxyProtocolOptions["onRefused"];
  readonly #pending = new Set<Socket>();

  constructor(options: ProxyProtocolOptions) {
    this.#trusted =
      options.trusted instanceof AddressMatcher ? options.trusted : new AddressMatcher(options.trusted);
    this.#timeoutMs = options.headerTimeoutMs ?? DEFAULT_PROXY_HEADER_TIMEOUT_MS;
    this.#maxHeaderBytes = options.maxHeaderBytes;
    this.#onRefused = options.onRefused;
  }

  /** Sockets whose header has not arrived yet (they count against `maxConnections`). */
  get pending(): number {
    return this.#pending.size;
  }

  /** Destroy every socket still waiting for its header (the listener is closing). */
  destroyPending(): void {
    for (const socket of this.#pending) socket.destroy();
    this.#pending.clear();
  }

  /**
   * Read the header of `socket`, then call `next` with the socket paused and
   * the client's address. Untrusted peers, malformed headers and late headers
   * destroy the socket instead.
   */
  accept(socket: Socket, transport: "tcp" | "tls", next: (socket: Socket, proxied: Proxied) => void): void {
    const proxyAddress: AddressInfo = {
      transport,
      host: socket.remoteAddress,
      port: socket.remotePort,
      family: socket.remoteFamily,
    };
    // A peer that reset before we looked has no address: it is gone, not an
    // untrusted proxy (HAProxy's start-up probe does this), so it is not reported.
    if (socket.remoteAddress === undefined) {
      this.#pending.delete(socket);
      socket.destroy();
      return;
    }
    if (!this.#trusted.matches(socket.remoteAddress)) {
      this.#refuse(socket, new UntrustedProxyError(`${socket.remoteAddress}`), proxyAddress);
      return;
    }
    const decoder = new ProxyHeaderDecoder(
      this.#maxHeaderBytes === undefined ? {} : { maxHeaderBytes: this.#maxHeaderBytes },
    );
    this.#pending.add(socket);
    const timer = setTimeout(() => {
      this.#refuse(
        socket,
        new ProxyProtocolError("timeout", `no header within ${this.#timeoutMs} ms`),
        proxyAddress,
      );
    }, this.#timeoutMs);
    timer.unref();
    const cleanup = (): void => {
      clearTimeout(timer);
      this.#pending.delete(socket);
      socket.off("data", onData);
      socket.off("close", cleanup);
      socket.off("error", ignore);
    };
    const onData = (chunk: Buffer): void => {
      let done: ReturnType<ProxyHeaderDecoder["push"]>;
      try {
        done = decoder.push(chunk);
      } catch (error) {
        cleanup();
        this.#refuse(socket, error as ProxyProtocolError, proxyAddress);
        return;
      }
      if (done === undefined) return;
      cleanup();
      socket.pause();
      if (done.rest.length > 0) socket.unshift(done.rest);
      next(socket, {
        remoteAddress: clientAddress(done.header, proxyAddress),
        header: done.header,
        proxyAddress,
      });
    };
    socket.on("data", onData);
    socket.on("close", cleanup);
    socket.on("error", ignore);
  }

  #refuse(socket: Socket, error: UntrustedProxyError | ProxyProtocolError, peer: AddressInfo): void {
    this.#pending.delete(socket);
    socket.destroy();
    this.#onRefused?.(error, peer);
  }
}

/** Errors before the header (a reset) only concern that socket, which closes. */
function ignore(): void {}

/** The client's address: the header's source, or the proxy's own for LOCAL / UNKNOWN / unix sources. */
function clientAddress(header: ProxyHeader, proxy: AddressInfo): AddressInfo {
  const source = header.source;
  if (header.command === "local" || source === undefined || source.family === "unix") return proxy;
  return { transport: proxy.transport, host: source.host, port: source.port, family: source.family };
}
