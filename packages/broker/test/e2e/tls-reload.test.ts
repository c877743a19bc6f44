// Broker.reload() swaps TLS certificates with setSecureContext: checked with real TLS
// handshakes on a TCP-TLS and a WSS listener, and MQTT.js clients connected across the swap.

import { X509Certificate } from "node:crypto";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { certPath, certs, makeTempDir, type TempDir } from "@amqtt/test-utils";
import type { MqttClient } from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Broker } from "../../src/index.js";
import { mqttClient, startBroker } from "./tcp.js";

let temp: TempDir;
let certfile: string;
let keyfile: string;
beforeEach(() => {
  temp = makeTempDir("amqtt-tls-reload-");
  certfile = join(temp.path, "server.crt");
  keyfile = join(temp.path, "server.key");
  copyFileSync(certPath("server.crt"), certfile);
  copyFileSync(certPath("server.key"), keyfile);
});
afterEach(() => temp.remove());

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

/** The SHA-256 fingerprint of the certificate a fresh TLS handshake with `port` sees. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      const seen = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(seen);
    });
    socket.once("error", reject);
  });
}

async function tlsBroker(): Promise<{ broker: Broker; tlsPort: number; wssPort: number }> {
  const tls = { ssl: true, certfile, keyfile };
  const { broker } = await startBroker({
    listeners: {
      default: { type: "tcp", bind: "127.0.0.1:0", ...tls },
      secure_ws: { type: "ws", bind: "127.0.0.1:0", ...tls },
    },
  });
  const [tlsAddress, wssAddress] = broker.addresses();
  return { broker, tlsPort: tlsAddress!.port, wssPort: wssAddress!.port };
}

/** A round trip through the broker on `client`'s own connection: it is still up and served. */
async function roundTrip(client: MqttClient, topic: string): Promise<string> {
  await client.subscribeAsync(topic, { qos: 1 });
  const got = new Promise<string>((resolve) =>
    client.once("message", (_t, payload) => resolve(payload.toString())),
  );
  await client.publishAsync(topic, "still here", { qos: 1 });
  return got;
}

describe("Broker.reload() and TLS certificates", () => {
  it("a client connected before the swap stays connected and served; a new client sees the new certificate (TCP-TLS and WSS)", async () => {
    const { broker, tlsPort, wssPort } = await tlsBroker();
    const oldPrint = fingerprint(certs.server.cert);
    const newPrint = fingerprint(certs.stranger.cert);
    expect(oldPrint).not.toBe(newPrint);
    expect(await servedFingerprint(tlsPort)).toBe(oldPrint);
    expect(await servedFingerprint(wssPort)).toBe(oldPrint);

    const insecure = { rejectUnauthorized: false };
    const before = await mqttClient(`mqtts://127.0.0.1:${tlsPort}`, { ...insecure, clientId: "before-tls" });
    const beforeWs = await mqttClient(`wss://127.0.0.1:${wssPort}`, { ...insecure, clientId: "before-wss" });
    const closes: string[] = [];
    before.on("close", () => closes.push("tls"));
    beforeWs.on("close", () => closes.push("wss"));

    // The operator replaces the files, then reloads.
    copyFileSync(certPath("stranger.crt"), certfile);
    copyFileSync(certPath("stranger.key"), keyfile);
    const report = await broker.reload();
    expect(report.refused).toEqual([]);
    expect(report.applied).toEqual(
      expect.arrayContaining(["listeners.default.tls", "listeners.secure_ws.tls"]),
    );

    expect(await servedFingerprint(tlsPort)).toBe(newPrint);
    expect(await servedFingerprint(wssPort)).toBe(newPrint);
    expect(await roundTrip(before, "r/tls")).toBe("still here");
    expect(await roundTrip(beforeWs, "r/wss")).toBe("still here");
    expect(closes).toEqual([]);
    expect(broker.sessions.get("before-tls")?.online).toBe(true);
    expect(broker.sessions.get("before-wss")?.online).toBe(true);

    // The certificate the connected client negotiated is still the old one.
    const stream = before.stream as unknown as { getPeerCertificate(): { fingerprint256: string } };
    expect(stream.getPeerCertificate().fingerprint256).toBe(oldPrint);
    const after = await mqttClient(`mqtts://127.0.0.1:${tlsPort}`, { ...insecure, clientId: "after-tls" });
    const afterStream = after.stream as unknown as { getPeerCertificate(): { fingerprint256: string } };
    expect(afterStream.getPeerCertificate().fingerprint256).toBe(newPrint);
  });

  it("an unreadable or broken certificate is refused with its reason, and the listener keeps serving the old one", async () => {
    const { broker, tlsPort } = await tlsBroker();
    writeFileSync(certfile, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
    const report = await broker.reload();
    expect(report.applied).not.toContain("listeners.default.tls");
    expect(report.refused.map((r) => r.key)).toEqual(
      expect.arrayContaining(["listeners.default.tls", "listeners.secure_ws.tls"]),
    );
    expect(report.refused[0]!.reason).toMatch(/certificate files not reloaded/);
    expect(await servedFingerprint(tlsPort)).toBe(fingerprint(certs.server.cert));
  });
});
