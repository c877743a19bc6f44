import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certPath } from "@amqtt/test-utils";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resolveBrokerConfig } from "../../src/index.js";
import { startBroker, tlsListener } from "./tcp.js";

// The transport tests' CA (test-only keys) signs device certificates made here
// with openssl, as aMQTT's `device_creds` makes them: SAN spiffe://<domain>/device/<id>.

let dir: string;

function deviceCert(name: string, uri: string, ca = "ca"): { cert: Buffer; key: Buffer } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const crt = join(dir, `${name}.crt`);
  execFileSync(
    "openssl",
    ["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`, "-keyout", key, "-out", csr],
    {
      stdio: "ignore",
    },
  );
  writeFileSync(ext, `subjectAltName=URI:${uri}\nextendedKeyUsage=clientAuth\n`);
  const signer =
    ca === "ca"
      ? [
          "-CA",
          certPath("ca.crt"),
          "-CAkey",
          certPath("ca.key"),
          "-CAcreateserial",
          "-CAserial",
          join(dir, "ca.srl"),
        ]
      : ["-signkey", key];
  execFileSync(
    "openssl",
    ["x509", "-req", "-in", csr, ...signer, "-days", "1", "-extfile", ext, "-out", crt],
    {
      stdio: "ignore",
    },
  );
  return { cert: readFileSync(crt), key: readFileSync(key) };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "amqtt-cert-auth-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
});

async function tlsBroker(extraPlugins: Record<string, unknown> = {}) {
  const { broker } = await startBroker({
    listeners: {
      default: tlsListener({ cafile: certPath("ca.crt") }),
    },
    plugins: { "amqtt.contrib.cert.UserAuthCertPlugin": { uri_domain: "example.org" }, ...extraPlugins },
  });
  return broker.addresses()[0]!.port;
}

/** Connect over TLS with a client certificate; resolves with the CONNACK code (0 accepted). */
async function connectWith(
  port: number,
  clientId: string,
  creds?: { cert: Buffer; key: Buffer },
  extra = {},
) {
  try {
    const c = await connectAsync(`mqtts://127.0.0.1:${port}`, {
      clientId,
      ca: readFileSync(certPath("ca.crt")),
      rejectUnauthorized: true,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...(creds ?? {}),
      ...extra,
    });
    clients.push(c);
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

describe("cert-auth (aMQTT's UserAuthCertPlugin)", () => {
  it("accepts a client whose verified certificate names spiffe://<uri_domain>/device/<client id>", async () => {
    const port = await tlsBroker();
    expect(
      await connectWith(port, "sensor-7", deviceCert("sensor-7", "spiffe://example.org/device/sensor-7")),
    ).toBe(0);
  });

  it("refuses a certificate issued for another client id or another domain (CONNACK 5: not authorized)", async () => {
    const port = await tlsBroker();
    const other = deviceCert("sensor-8", "spiffe://example.org/device/sensor-8");
    expect(await connectWith(port, "sensor-7", other)).toBe(5);
    const foreign = deviceCert("sensor-9", "spiffe://elsewhere.net/device/sensor-9");
    expect(await connectWith(port, "sensor-9", foreign)).toBe(5);
  });

  it("refuses a certificate with the right URI that no trusted CA signed", async () => {
    const port = await tlsBroker();
    const selfSigned = deviceCert("sensor-10", "spiffe://example.org/device/sensor-10", "self");
    expect(await connectWith(port, "sensor-10", selfSigned)).toBe(5);
  });

  it("abstains without a certificate: alone it refuses, next to anonymous-auth the other plugin decides", async () => {
    expect(await connectWith(await tlsBroker(), "no-cert")).toBe(5);
    const withAnonymous = await tlsBroker({ "anonymous-auth": { allow_anonymous: true } });
    expect(await connectWith(withAnonymous, "no-cert")).toBe(0);
  });

  it("needs uri_domain in its options", () => {
    expect(() => resolveBrokerConfig({ plugins: { "amqtt.contrib.cert.UserAuthCertPlugin": {} } })).toThrow(
      /uri_domain/,
    );
  });
});
