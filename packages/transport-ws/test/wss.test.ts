import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect as tlsConnect } from "node:tls";
import { certPath } from "@amqtt/test-utils";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { dialWs } from "../src/index.js";
import { startListener, tracked } from "./helpers.js";

/** The shared test-only certificates (see @amqtt/test-utils). */
function fixture(name: string): string {
  return readFileSync(certPath(name), "utf8");
}

describe("wss on its own port", () => {
  it("hands the client certificate to the server side as connection.tls", async () => {
    const ca = fixture("ca.crt");
    const { listener, next } = await startListener({
      tls: {
        cert: fixture("server.crt"),
        key: fixture("server.key"),
        ca,
        requestCert: true,
        rejectUnauthorized: true,
      },
    });
    const accepted = next();
    // A WebSocket constructor preset with the client certificate, as a Node app would pass one.
    class ClientCertWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { ca, cert: fixture("client.crt"), key: fixture("client.key") });
      }
    }
    const client = tracked(
      await dialWs(`wss://127.0.0.1:${listener.address().port}/`, {
        WebSocket: ClientCertWebSocket as never,
      }),
    );
    const server = await accepted;
    expect(listener.address().transport).toBe("wss");
    expect(client.remoteAddress.transport).toBe("wss");
    expect(server.tls?.authorized).toBe(true);
    expect(server.tls?.peerCertificate?.subject.CN).toBe("client-1");
    expect(server.tls?.peerCertificate?.fingerprint256).toBe(
      new X509Certificate(fixture("client.crt")).fingerprint256,
    );
  });
});

/** The SHA-256 fingerprint of the certificate a fresh TLS handshake with `port` sees. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.once("error", reject);
  });
}

describe("WsListener.setSecureContext", () => {
  it("serves new handshakes the new certificate; an open wss connection stays up and carries bytes", async () => {
    const { listener, next } = await startListener({
      tls: { cert: fixture("server.crt"), key: fixture("server.key") },
    });
    const port = listener.address().port!;
    const accepted = next();
    class InsecureWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { rejectUnauthorized: false });
      }
    }
    const client = tracked(
      await dialWs(`wss://127.0.0.1:${port}/`, { WebSocket: InsecureWebSocket as never }),
    );
    const server = await accepted;
    expect(listener.secure).toBe(true);
    listener.setSecureContext({ cert: fixture("stranger.crt"), key: fixture("stranger.key") });
    expect(await servedFingerprint(port)).toBe(new X509Certificate(fixture("stranger.crt")).fingerprint256);
    const reading = server[Symbol.asyncIterator]();
    client.send(new Uint8Array([7, 8, 9]));
    const chunk = await reading.next();
    expect([...(chunk.value as Uint8Array)]).toEqual([7, 8, 9]);
    expect(client.isClosed).toBe(false);
  });

  it("throws a TypeError on a plain ws listener", async () => {
    const { listener } = await startListener({});
    expect(listener.secure).toBe(false);
    expect(() =>
      listener.setSecureContext({ cert: fixture("server.crt"), key: fixture("server.key") }),
    ).toThrow(TypeError);
  });
});
