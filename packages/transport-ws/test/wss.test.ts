import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
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
