import { X509Certificate } from "node:crypto";
import type { TlsOptions } from "node:tls";
import { certs } from "@amqtt/test-utils";
import type { Connection } from "@amqtt/transport";
import { afterEach, describe, expect, it } from "vitest";
import { dialTcp, listenTcp, type TcpListener, type TcpTarget } from "../src/index.js";

const listeners: TcpListener[] = [];
const connections: Connection[] = [];
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.abort();
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

/** A TLS listener on loopback; `accepted` resolves with the first accepted connection. */
async function tlsServer(tls: Partial<TlsOptions>) {
  let accept!: (connection: Connection) => void;
  const accepted = new Promise<Connection>((resolve) => (accept = resolve));
  const listener = await listenTcp({
    host: "127.0.0.1",
    port: 0,
    tls: { ...certs.server, ca: certs.ca, ...tls },
    onConnection: (connection) => {
      connections.push(connection);
      accept(connection);
    },
  });
  listeners.push(listener);
  const target = (clientTls: TcpTarget["tls"]): TcpTarget => ({
    host: "127.0.0.1",
    port: listener.address().port!,
    tls: { ca: certs.ca, ...clientTls },
  });
  return { listener, accepted, target };
}

async function dial(target: TcpTarget): Promise<Connection> {
  const connection = await dialTcp(target);
  connections.push(connection);
  return connection;
}

describe("TLS", () => {
  it("hands a verified client certificate to the server side of the connection", async () => {
    const { accepted, target } = await tlsServer({ requestCert: true, rejectUnauthorized: true });
    await dial(target(certs.client));
    const server = await accepted;
    const expected = new X509Certificate(certs.client.cert);
    expect(server.localAddress.transport).toBe("tls");
    expect(server.tls?.authorized).toBe(true);
    expect(server.tls?.authorizationError).toBeUndefined();
    expect(server.tls?.peerCertificate?.subject).toEqual({ CN: "client-1", O: "amqtt tests" });
    expect(server.tls?.peerCertificate?.issuer).toEqual({ CN: "amqtt test CA" });
    expect(server.tls?.peerCertificate?.fingerprint256).toBe(expected.fingerprint256);
    expect(server.tls?.peerCertificate?.serialNumber).toBe(expected.serialNumber);
    expect(Buffer.from(server.tls!.peerCertificate!.raw).equals(expected.raw)).toBe(true);
  });

  it("shows the client the server's certificate and the negotiated protocol", async () => {
    const { target } = await tlsServer({});
    const client = await dial(target(undefined));
    expect(client.tls?.authorized).toBe(true);
    expect(client.tls?.peerCertificate?.subject.CN).toBe("localhost");
    expect(client.tls?.peerCertificate?.subjectAltName).toContain("IP Address:127.0.0.1");
    expect(client.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
  });

  it("lets the shell decide on an untrusted client certificate when rejectUnauthorized is false", async () => {
    const { accepted, target } = await tlsServer({ requestCert: true, rejectUnauthorized: false });
    await dial(target(certs.stranger));
    const server = await accepted;
    expect(server.tls?.authorized).toBe(false);
    expect(server.tls?.authorizationError).toEqual(expect.any(String));
    expect(server.tls?.peerCertificate?.subject.CN).toBe("stranger");
  });

  it("reports no peer certificate when a client sends none", async () => {
    const { accepted, target } = await tlsServer({ requestCert: true, rejectUnauthorized: false });
    await dial(target(undefined));
    const server = await accepted;
    expect(server.tls?.authorized).toBe(false);
    expect(server.tls?.peerCertificate).toBeUndefined();
  });

  it("refuses an untrusted client certificate during the handshake when rejectUnauthorized is true", async () => {
    const { listener, target } = await tlsServer({ requestCert: true, rejectUnauthorized: true });
    let seen = 0;
    listener.onConnection(() => seen++);
    // TLS 1.3 finishes the client's handshake before the server checks the certificate,
    // so the refusal shows either as a failed dial or as an immediate close.
    const outcome = await dialTcp(target(certs.stranger)).then(
      async (connection) => {
        connections.push(connection);
        return (await connection.closed).initiator;
      },
      () => "rejected",
    );
    expect(["rejected", "remote"]).toContain(outcome);
    expect(seen).toBe(0);
    expect(listener.connectionCount).toBe(0);
  });

  it("fails to dial a server whose certificate the client does not trust", async () => {
    const { target } = await tlsServer({});
    // The server sends its chain, so Node reports the untrusted root.
    await expect(dialTcp({ ...target(undefined), tls: {} })).rejects.toMatchObject({
      code: "SELF_SIGNED_CERT_IN_CHAIN",
    });
  });
});

describe("TcpListener.setSecureContext", () => {
  it("serves new handshakes the new certificate while a connection made before stays open and usable", async () => {
    const { listener, accepted, target } = await tlsServer({});
    const before = await dial(target({ rejectUnauthorized: false }));
    const serverSide = await accepted;
    listener.setSecureContext({ cert: certs.stranger.cert, key: certs.stranger.key });
    const after = await dial(target({ rejectUnauthorized: false }));
    const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
    expect(before.tls?.peerCertificate?.fingerprint256).toBe(fingerprint(certs.server.cert));
    expect(after.tls?.peerCertificate?.fingerprint256).toBe(fingerprint(certs.stranger.cert));
    // The old connection still carries bytes both ways.
    const reading = serverSide[Symbol.asyncIterator]();
    before.send(new Uint8Array([1, 2, 3]));
    const chunk = await reading.next();
    expect(chunk.done).toBe(false);
    expect([...(chunk.value as Uint8Array)]).toEqual([1, 2, 3]);
    expect(listener.secure).toBe(true);
  });

  it("throws a TypeError on a plain TCP listener", async () => {
    const listener = await listenTcp({ host: "127.0.0.1", port: 0 });
    listeners.push(listener);
    expect(listener.secure).toBe(false);
    expect(() => listener.setSecureContext({ cert: certs.server.cert, key: certs.server.key })).toThrow(
      TypeError,
    );
  });
});
