// Where a TLS listener's trusted CAs come from: cafile, capath (a folder) and cadata add up,
// checked with real TLS handshakes of MQTT.js clients presenting certificates.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { certPath, certs, makeTempDir, serverTlsFiles, type TempDir } from "@amqtt/test-utils";
import { connectAsync } from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ListenerConfigInput, resolveBrokerConfig } from "../../src/index.js";
import { startBroker, tlsListener } from "./tcp.js";

let temp: TempDir;
beforeEach(async () => {
  temp = await makeTempDir("amqtt-tls-ca-");
});
afterEach(async () => {
  await temp.remove();
});

/** A TLS broker with these CA settings; resolves with whether a client presenting `client` verified. */
async function verifies(ca: ListenerConfigInput, client: { cert: string; key: string }): Promise<boolean> {
  const { broker, port } = await startBroker({
    listeners: {
      default: tlsListener(ca),
    },
  });
  const connected = new Promise<boolean>((resolve) =>
    broker.once("clientConnected", (info) => resolve(info.certificate?.authorized === true)),
  );
  const mqtt = await connectAsync({
    protocol: "mqtts",
    host: "127.0.0.1",
    port,
    ca: certs.ca,
    cert: client.cert,
    key: client.key,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  try {
    return await connected;
  } finally {
    await mqtt.endAsync(true);
  }
}

describe("a TLS listener's trusted CAs", () => {
  it("capath: every PEM certificate in the folder is trusted (other files are skipped)", async () => {
    const folder = join(temp.path, "cas");
    mkdirSync(folder);
    copyFileSync(certPath("ca.crt"), join(folder, "amqtt-test-ca.pem"));
    writeFileSync(join(folder, "README"), "not a certificate\n");
    mkdirSync(join(folder, "nested"));
    expect(await verifies({ capath: folder }, certs.client)).toBe(true);
  });

  it("capath: a client signed by a CA that is not in the folder does not verify", async () => {
    const folder = join(temp.path, "other-cas");
    mkdirSync(folder);
    copyFileSync(certPath("stranger.crt"), join(folder, "stranger.pem"));
    expect(await verifies({ capath: folder }, certs.client)).toBe(false);
  });

  it("cadata adds to cafile instead of replacing it: clients of either verify", async () => {
    const both = { cafile: certPath("ca.crt"), cadata: certs.stranger.cert };
    expect(await verifies(both, certs.client)).toBe(true);
    expect(await verifies(both, certs.stranger)).toBe(true);
    // Control: with cafile alone the stranger does not verify.
    expect(await verifies({ cafile: certPath("ca.crt") }, certs.stranger)).toBe(false);
  });

  it("capath must be a folder: a file is a ConfigError naming the key", () => {
    expect(() =>
      resolveBrokerConfig({
        listeners: {
          default: {
            bind: "127.0.0.1:0",
            ...serverTlsFiles,
            capath: certPath("ca.crt"),
          },
        },
      }),
    ).toThrow(
      expect.objectContaining({
        name: "ConfigError",
        issues: [expect.objectContaining({ path: "listeners.default.capath" })],
      }),
    );
  });

  it("cafile, capath and cadata together: all three are trusted", async () => {
    const folder = join(temp.path, "cas");
    mkdirSync(folder);
    copyFileSync(certPath("stranger.crt"), join(folder, "stranger.pem"));
    const all = { cafile: certPath("ca.crt"), capath: folder, cadata: certs.stranger.cert };
    expect(await verifies(all, certs.client)).toBe(true);
    expect(await verifies(all, certs.stranger)).toBe(true);
  });
});
