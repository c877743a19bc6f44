import { Recorder } from "@amqtt/cluster/conformance";
import { certPath, certs, freePort } from "@amqtt/test-utils";
import { startRedis } from "@amqtt/test-utils/redis";
import { describe, expect, it } from "vitest";
import { RedisClusterBus } from "../src/index.js";

describe("rediss:// (TLS)", () => {
  it("reaches a TLS-only redis-server with the CA given, and refuses a server it cannot verify", async () => {
    const port = await freePort();
    const redis = await startRedis({
      port,
      config: [
        "port 0",
        `tls-port ${port}`,
        `tls-cert-file ${certPath("server.crt")}`,
        `tls-key-file ${certPath("server.key")}`,
        `tls-ca-cert-file ${certPath("ca.crt")}`,
        "tls-auth-clients no",
      ],
    });
    try {
      const url = `rediss://127.0.0.1:${port}`;
      const trusted = new RedisClusterBus({
        nodeId: "t",
        url,
        tls: { ca: certs.ca },
        requestTimeoutMs: 1000,
      });
      await trusted.start(new Recorder());
      expect((await trusted.claimSession("c")).ownership.nodeId).toBe("t");
      await trusted.stop();
      // The server's certificate is signed by the test CA only: the system trust store does not know it.
      const untrusting = new RedisClusterBus({ nodeId: "u", url, requestTimeoutMs: 1000 });
      const error = await untrusting.start(new Recorder()).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.name).toBe("ClusterUnavailableError");
    } finally {
      await redis.stop();
    }
  });
});
