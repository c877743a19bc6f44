// The admin listener over HTTPS, with the same TLS keys as the other listeners.
import { get } from "node:https";
import { Broker, silentLogger } from "@amqtt/broker";
import { certs, freePort, serverTlsFiles } from "@amqtt/test-utils";
import { describe, expect, it } from "vitest";
import { startAdmin } from "../src/index.js";

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).once("error", reject);
  });
}

describe("HTTPS admin listener", () => {
  it("serves /healthz over TLS with ssl, certfile and keyfile; a client not trusting the CA is refused", async () => {
    const port = await freePort();
    const broker = new Broker(
      {
        listeners: {
          default: { bind: "127.0.0.1:0" },
          admin: {
            type: "http",
            bind: `127.0.0.1:${port}`,
            ...serverTlsFiles,
          },
        },
        plugins: { "anonymous-auth": {} },
      },
      { logger: silentLogger },
    );
    await broker.start();
    const admin = await startAdmin(broker, { logger: silentLogger });
    try {
      expect(admin.url).toBe(`https://127.0.0.1:${port}`);
      const r = await httpsGet(`${admin.url}/healthz`, certs.ca);
      expect(r).toEqual({ status: 200, body: JSON.stringify({ status: "ok" }) });
      await expect(httpsGet(`${admin.url}/healthz`, certs.stranger.cert)).rejects.toThrow();
    } finally {
      await admin.close();
      await broker.stop();
    }
  });
});
