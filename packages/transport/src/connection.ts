/**
 * Where one end of a connection is. `transport` names the carrier
 * (`"tcp"`, `"tls"`, `"ws"`, `"wss"`, `"memory"`, ...); the other fields are
 * filled when the carrier has them.
 */
export interface AddressInfo {
  /** The carrier, e.g. `"tcp"`, `"tls"`, `"ws"`, `"memory"`. */
  readonly transport: string;
  /** Host or IP address, when the carrier has one. */
  readonly host?: string;
  /** Port number, when the carrier has one. */
  readonly port?: number;
  /** Address family (`"IPv4"`, `"IPv6"`), when known. */
  readonly family?: string;
  /** URL path (WebSocket) or endpoint name (memory), when there is one. */
  readonly path?: string;
}

/** The parts of an X.509 certificate a broker needs to authenticate a peer. */
export interface PeerCertificate {
  /** Subject fields, e.g. `{ CN: "client-1", O: "Example" }`. */
  readonly subject: Readonly<Record<string, string>>;
  /** Issuer fields, same shape as {@link PeerCertificate.subject}. */
  readonly issuer: Readonly<Record<string, string>>;
  /** Subject alternative names as printed by the TLS stack, e.g. `"DNS:a.example, IP Address:127.0.0.1"`. */
  readonly subjectAltName: string | undefined;
  /** Serial number in upper-case hex. */
  readonly serialNumber: string;
  /** SHA-256 fingerprint, colon-separated upper-case hex. */
  readonly fingerprint256: string;
  /** Start of validity, as printed by the TLS stack. */
  readonly validFrom: string;
  /** End of validity, as printed by the TLS stack. */
  readonly validTo: string;
  /** The DER encoding of the certificate. */
  readonly raw: Uint8Array;
}

/** What TLS negotiated for a connection. */
export interface TlsInfo {
  /** True when the peer's certificate chain was verified against the trusted CAs. */
  readonly authorized: boolean;
  /** Why verification failed (e.g. `"UNABLE_TO_VERIFY_LEAF_SIGNATURE"`), when it did. */
  readonly authorizationError: string | undefined;
  /** The certificate the peer presented, if it presented one. */
  readonly peerCertificate: PeerCertificate | undefined;
  /** Negotiated protocol version, e.g. `"TLSv1.3"`. */
  readonly protocol: string | undefined;
}

/** Who ended a connection. */
export type CloseInitiator = "local" | "remote";

/** How a connection ended; the value of {@link Connection.closed}. */
export interface CloseInfo {
  /** `"local"` when this side called `close`/`abort` or hit a local bound, `"remote"` otherwise. */
  readonly initiator: CloseInitiator;
  /**
   * Why it ended, when not a plain close: the reason passed to `close`/`abort`,
   * a {@link SlowConsumerError}, a {@link ConnectionResetError}, a carrier error, ...
   */
  readonly error: Error | undefined;
}

/**
 * Tuning shared by every transport. Every buffer a connection holds has a bound;
 * a peer or application that keeps a buffer over it gets the connection closed
 * with a {@link SlowConsumerError} instead of growing memory.
 */
export interface ConnectionOptions {
  /**
   * Hard bound, in bytes, for data queued to be written and for data received but
   * not yet consumed by the application. A `send` that would go over it, or a
   * receive buffer that goes over it, closes the connection with a
   * {@link SlowConsumerError}. Default {@link DEFAULT_MAX_BUFFERED_BYTES} (8 MiB).
   */
  maxBufferedBytes?: number;
  /**
   * Received-but-unconsumed bytes at which the transport stops reading from its
   * carrier (the peer then sees backpressure). Reading resumes when the application
   * consumes below it. Default {@link DEFAULT_READ_HIGH_WATER_MARK} (64 KiB).
   */
  readHighWaterMark?: number;
  /**
   * Queued outbound bytes at or over which `send` returns `false`. Transports over a
   * socket may use the socket's own mark instead. Default
   * {@link DEFAULT_WRITE_HIGH_WATER_MARK} (64 KiB).
   */
  writeHighWaterMark?: number;
  /**
   * How long a graceful `close()` may take to flush before the connection is
   * aborted with a {@link CloseTimeoutError}. Default {@link DEFAULT_CLOSE_TIMEOUT_MS}.
   */
  closeTimeoutMs?: number;
  /**
   * The application already gathers each event-loop turn's packets into one
   * `send` (the broker's per-connection output does): a transport that would
   * gather them itself (TCP corks a turn's sends into one `writev` on the next
   * tick) hands each `send` to its carrier at once instead, sparing a tick and
   * a buffered-write record per turn. Default `false`.
   */
  sendsBatched?: boolean;
}

/** Default of {@link ConnectionOptions.maxBufferedBytes}: 8 MiB. */
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Default of {@link ConnectionOptions.readHighWaterMark}: 64 KiB. */
export const DEFAULT_READ_HIGH_WATER_MARK = 64 * 1024;
/** Default of {@link ConnectionOptions.writeHighWaterMark}: 64 KiB. */
export const DEFAULT_WRITE_HIGH_WATER_MARK = 64 * 1024;
/** Default of {@link ConnectionOptions.closeTimeoutMs}: 5 seconds. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/** Push-style consumer of a connection's input; see {@link Connection.read}. */
export interface ConnectionReader {
  /** Received bytes, in order. May call `pauseReading`, `close` or `abort`. */
  data(chunk: Uint8Array): void;
  /** Input is over (the peer ended, the connection closed or was aborted); called once, after the last `data`. */
  end(): void;
}

/**
 * One byte stream to a peer, whatever carries it. Bytes come in through async
 * iteration (one consumer; the transport stops reading while the consumer does
 * not pull) and go out through {@link Connection.send}. Chunk boundaries carry no
 * meaning: an MQTT packet may span chunks and a chunk may hold several packets.
 *
 * For callback style, see {@link onData}.
 */
export interface Connection extends AsyncIterable<Uint8Array> {
  /** This side's address. */
  readonly localAddress: AddressInfo;
  /** The peer's address. */
  readonly remoteAddress: AddressInfo;
  /** What TLS negotiated, or `undefined` for a connection without TLS. */
  readonly tls: TlsInfo | undefined;
  /** The bound on buffered bytes this connection enforces (see {@link ConnectionOptions.maxBufferedBytes}). */
  readonly maxBufferedBytes: number;
  /** Bytes passed to `send` and not yet handed to the network. */
  readonly bufferedBytes: number;
  /** Bytes received and not yet consumed by the application. */
  readonly readBufferedBytes: number;
  /** True once `close`/`abort` was called or the peer went away. */
  readonly isClosed: boolean;
  /**
   * Queue bytes for the peer. Returns `true` while the write buffer is under its
   * high-water mark, `false` when the caller should wait for {@link Connection.onDrain}
   * (the bytes are still queued) or when the connection is closed (the bytes are
   * dropped). A send that would take the buffer over `maxBufferedBytes` closes the
   * connection with a {@link SlowConsumerError}. The caller must not modify `bytes`
   * afterwards: transports do not copy.
   */
  send(bytes: Uint8Array): boolean;
  /**
   * Call `listener` each time the write buffer drains after a `send` returned
   * `false`. Returns a function that removes the listener.
   */
  onDrain(listener: () => void): () => void;
  /**
   * Close gracefully: flush what is queued, then end the connection. `reason`, if
   * given, becomes {@link CloseInfo.error}. If flushing takes longer than
   * `closeTimeoutMs` the connection is aborted with a {@link CloseTimeoutError}.
   * Calling it again has no effect.
   */
  close(reason?: Error): void;
  /** Close at once, discarding queued bytes. `reason` becomes {@link CloseInfo.error}. */
  abort(reason?: Error): void;
  /** Resolves once, when the connection is fully closed. Never rejects. */
  readonly closed: Promise<CloseInfo>;
  /**
   * Push-style reading, the alternative to async iteration for servers holding
   * many connections (no promise per chunk, no iterator per connection): the
   * reader gets each chunk as it arrives, then `end` once. One consumer per
   * connection, whichever style. While paused (`pauseReading`), chunks queue under
   * the same bounds as for iteration (the carrier pauses at the read high-water
   * mark, the connection aborts over `maxBufferedBytes`). Optional: transports
   * built on `ConnectionBase` have it.
   */
  read?(reader: ConnectionReader): void;
  /** Stop pushing to the reader given to `read` until `resumeReading`. */
  pauseReading?(): void;
  /** Push queued chunks to the reader again. */
  resumeReading?(): void;
}
