// With no credentials configured the API answers loopback clients only, with
// full rights, and says so at start-up; a non-loopback admin listener without
// credentials does not start.
import { Broker, silentLogger } from "@amqtt/broker";
import { MemoryClusterBus, MemoryClusterEngine } from "@amqtt/cluster";
import { freePort } from "@amqtt/test-utils";
import { describe, expect, it } from "vitest";
import { AdminConfigError, startAdmin } from "../src/index.js";
import { until } from "./clients.js";
import { api, startFixture } from "./harness.js";

function capturing() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const logger = {
    debug: (message: string, fields?: Record<string, unknown>) =>
      lines.push({ level: "debug", message, ...(fields ? { fields } : {}) }),
    info: (message: string, fields?: Record<string, unknown>) =>
      lines.push({ level: "info", message, ...(fields ? { fields } : {}) }),
    warn: (message: string, fields?: Record<string, unknown>) =>
      lines.push({ level: "warn", message, ...(fields ? { fields } : {}) }),
    error: (message: string, fields?: Record<string, unknown>) =>
      lines.push({ level: "error", message, ...(fields ? { fields } : {}) }),
    child: () => logger,
  };
  return { logger, lines };
}

describe("without credentials", () => {
  it("answers loopback with full rights and warns at start-up", async () => {
    const { logger, lines } = capturing();
    const f = await startFixture({ admin: { logger } });
    try {
      expect(f.admin.authenticated).toBe(false);
      expect(lines.some((l) => l.level === "warn" && /loopback clients only/.test(l.message))).toBe(true);
      expect((await api(f.admin, "GET", "/api/v1/stats")).status).toBe(200);
      const r = await api(f.admin, "POST", "/api/v1/clients/loop/subscriptions", {
        body: { filter: "l/#", qos: 0 },
      });
      expect(r.status).toBe(201);
    } finally {
      await f.stop();
    }
  });

  it("refuses to start on a non-loopback bind (AdminConfigError naming the key), and nothing listens", async () => {
    const port = await freePort();
    const broker = new Broker(
      {
        listeners: { default: { bind: "127.0.0.1:0" }, ops: { type: "http", bind: `0.0.0.0:${port}` } },
        plugins: {},
      },
      { logger: silentLogger },
    );
    await expect(startAdmin(broker, { logger: silentLogger })).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof AdminConfigError && e.path === "listeners.ops.bind" && e.name === "AdminConfigError",
    );
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it("serves a page pointing at the API at / when the dashboard is not built", async () => {
    const f = await startFixture({ admin: { dashboardDir: "/nonexistent-dashboard" } });
    try {
      const r = await fetch(`${f.admin.url}/`);
      expect(r.status).toBe(200);
      expect(await r.text()).toContain("/api/v1/openapi.yaml");
      expect((await fetch(`${f.admin.url}/no/such/asset.js`)).status).toBe(404);
    } finally {
      await f.stop();
    }
  });
});

describe("the dashboard", () => {
  it("serves the built @amqtt/dashboard at /: index.html fresh, hashed assets cached for good", async () => {
    const { dashboardAssetsDir } = await import("@amqtt/dashboard");
    const { readdirSync } = await import("node:fs");
    const f = await startFixture();
    try {
      const index = await fetch(`${f.admin.url}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get("content-type")).toMatch(/^text\/html/);
      expect(index.headers.get("cache-control")).toBe("no-cache");
      const html = await index.text();
      const script = readdirSync(`${dashboardAssetsDir}/assets`).find((n) => n.endsWith(".js"))!;
      expect(html).toContain(script);
      const asset = await fetch(`${f.admin.url}/assets/${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
      expect(asset.headers.get("cache-control")).toMatch(/immutable/);
      expect((await fetch(`${f.admin.url}/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
    } finally {
      await f.stop();
    }
  });
});

describe("/readyz", () => {
  it("is 503 naming the failed check: a cluster engine that does not answer, a broker that stopped listening", async () => {
    let engineUp = false;
    const f = await startFixture({ admin: { readyChecks: { cluster: () => engineUp } } });
    try {
      const down = await api(f.admin, "GET", "/readyz");
      expect([down.status, down.body]).toEqual([
        503,
        { ready: false, checks: { listeners: true, store: true, cluster: false } },
      ]);
      engineUp = true;
      expect((await api(f.admin, "GET", "/readyz")).status).toBe(200);
      await f.broker.stop();
      const stopped = await api(f.admin, "GET", "/readyz");
      expect(stopped.status).toBe(503);
      expect(stopped.body.checks.listeners).toBe(false);
    } finally {
      await f.stop();
    }
  });
});

describe("/readyz of a cluster node", () => {
  it("is 503 with checks.cluster false while the cluster engine is unavailable, 200 once it is back", async () => {
    const engine = new MemoryClusterEngine();
    const broker = new Broker(
      {
        listeners: {
          default: { type: "tcp", bind: "127.0.0.1:0" },
          admin: { type: "http", bind: `127.0.0.1:${await freePort()}` },
        },
      },
      { logger: silentLogger, cluster: new MemoryClusterBus(engine, { nodeId: "ready-1" }) },
    );
    await broker.start();
    const admin = await startAdmin(broker, { logger: silentLogger });
    try {
      expect((await api(admin, "GET", "/readyz")).body).toEqual({
        ready: true,
        checks: { listeners: true, store: true, cluster: true },
      });
      engine.setAvailable(false);
      await until(async () => broker.stats().cluster?.engine === "down", 5000, "engine down");
      const down = await api(admin, "GET", "/readyz");
      expect([down.status, down.body.checks.cluster]).toEqual([503, false]);
      engine.setAvailable(true);
      await until(async () => broker.stats().cluster?.engine === "up", 5000, "engine up");
      expect((await api(admin, "GET", "/readyz")).status).toBe(200);
    } finally {
      await admin.close();
      await broker.stop();
    }
  });
});

describe("credential reload", () => {
  it("a new token works after reloadCredentials; a malformed file keeps the old ones and throws naming the line", async () => {
    const { readFileSync, writeFileSync } = await import("node:fs");
    const { sha256Hex, TokensFileError } = await import("../src/index.js");
    const f = await startFixture({ secured: true });
    try {
      const tokensFile = f.broker.config.admin.tokensFile!;
      const before = readFileSync(tokensFile, "utf8");
      expect(
        (await api(f.admin, "GET", "/api/v1/stats", { as: { bearer: "fresh-token-123456" } })).status,
      ).toBe(401);
      writeFileSync(tokensFile, `${before}ops:viewer:${sha256Hex("fresh-token-123456")}\n`);
      await f.admin.reloadCredentials();
      expect(
        (await api(f.admin, "GET", "/api/v1/stats", { as: { bearer: "fresh-token-123456" } })).status,
      ).toBe(200);
      writeFileSync(tokensFile, "broken line\n");
      await expect(f.admin.reloadCredentials()).rejects.toBeInstanceOf(TokensFileError);
      expect(
        (await api(f.admin, "GET", "/api/v1/stats", { as: { bearer: "fresh-token-123456" } })).status,
      ).toBe(200);
    } finally {
      await f.stop();
    }
  });
});
