// The admin API against a running broker with real clients (MQTT.js 3.1.1 and
// 5.0, Debian's mosquitto_sub), with credentials and roles; every answer is
// checked against openapi.yaml by the `api` helper.
import { connectAsync, type MqttClient, connect as mqttConnect } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { mosquittoSub, until } from "./clients.js";
import { api, type Fixture, startFixture, TOKENS } from "./harness.js";
import { covered, operations } from "./openapi-check.js";

let f: Fixture;
const clients: MqttClient[] = [];
const connect = async (clientId: string, protocolVersion: 4 | 5, extra: Record<string, unknown> = {}) => {
  const c = await connectAsync({
    host: "127.0.0.1",
    port: f.mqttPort,
    clientId,
    protocolVersion,
    reconnectPeriod: 0,
    ...extra,
  });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  f = await startFixture({ secured: true, admin: { loginLimit: { maxFailures: 3 } } });
});
afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => {});
  await f.stop();
});

describe("health", () => {
  it("/healthz and /readyz answer without credentials; ready means listeners open and store answering", async () => {
    expect((await api(f.admin, "GET", "/healthz")).body).toEqual({ status: "ok" });
    const ready = await api(f.admin, "GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ready: true, checks: { listeners: true, store: true } });
  });

  it("/api/v1/openapi.yaml serves the document", async () => {
    const r = await api(f.admin, "GET", "/api/v1/openapi.yaml");
    expect(r.text).toMatch(/^openapi: 3\.1\.0/);
  });
});

describe("authentication and roles", () => {
  const reads = [
    "/api/v1/broker",
    "/api/v1/listeners",
    "/api/v1/stats",
    "/api/v1/stats/history",
    "/api/v1/clients",
    "/api/v1/sessions",
    "/api/v1/subscriptions",
    "/api/v1/retained",
    "/metrics",
  ];

  it.each(reads)("GET %s: 401 without credentials, 200 for a viewer (Basic and Bearer)", async (path) => {
    const none = await api(f.admin, "GET", path);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Basic/);
    expect((await api(f.admin, "GET", path, { as: "viewer" })).status).toBe(200);
    expect((await api(f.admin, "GET", path, { as: "viewer-token" })).status).toBe(200);
  });

  it("a wrong password or an unknown token is 401", async () => {
    expect((await api(f.admin, "GET", "/api/v1/stats", { as: { bearer: "nope-not-a-token" } })).status).toBe(
      401,
    );
    const other = await startFixture({ secured: true });
    try {
      const r = await api(other.admin, "GET", "/api/v1/stats", { as: { basic: ["root", "wrong"] } });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe("unauthorized");
    } finally {
      await other.stop();
    }
  });

  it("a viewer may not change anything: 403 on every write, and nothing changed", async () => {
    const before = (await api(f.admin, "GET", "/api/v1/sessions", { as: "viewer" })).body;
    const writes: [string, string, unknown?][] = [
      ["DELETE", "/api/v1/clients/someone"],
      ["DELETE", "/api/v1/sessions/someone"],
      ["POST", "/api/v1/clients/viewer-made/subscriptions", { filter: "v/#", qos: 0 }],
      ["DELETE", "/api/v1/clients/someone/subscriptions?filter=a"],
      ["DELETE", "/api/v1/retained/a%2Fb"],
      ["POST", "/api/v1/publish", { topic: "v/t", payload: "x" }],
      ["POST", "/api/v1/reload"],
    ];
    for (const [method, path, body] of writes) {
      const r = await api(f.admin, method, path, { as: "viewer-token", body });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe("forbidden");
    }
    expect((await api(f.admin, "GET", "/api/v1/sessions", { as: "viewer" })).body).toEqual(before);
  });

  it("login gives a session token with the user's role; failures are rate-limited (429) per address", async () => {
    const ok = await api(f.admin, "POST", "/api/v1/auth/login", {
      body: { username: "watcher", password: "watch-secret" },
    });
    expect([ok.status, ok.body.error]).toEqual([200, undefined]);
    expect(ok.body.role).toBe("viewer");
    expect((await api(f.admin, "GET", "/api/v1/stats", { as: { bearer: ok.body.token } })).status).toBe(200);
    const write = await api(f.admin, "POST", "/api/v1/publish", {
      as: { bearer: ok.body.token },
      body: { topic: "x", payload: "y" },
    });
    expect(write.status).toBe(403);
    const missing = await api(f.admin, "POST", "/api/v1/auth/login", { body: { password: "x" } });
    expect([missing.status, missing.body.error.field]).toEqual([400, "username"]);

    const other = await startFixture({ secured: true, admin: { loginLimit: { maxFailures: 2 } } });
    try {
      const bad = () =>
        api(other.admin, "POST", "/api/v1/auth/login", { body: { username: "root", password: "no" } });
      expect((await bad()).status).toBe(401);
      expect((await bad()).status).toBe(401);
      const limited = await bad();
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe("too_many_requests");
      // Even the right password waits out the window.
      const right = await api(other.admin, "POST", "/api/v1/auth/login", {
        body: { username: "root", password: "root-secret" },
      });
      expect(right.status).toBe(429);
    } finally {
      await other.stop();
    }
  });
});

describe("broker, listeners, stats", () => {
  it("broker info has the version, uptime and the configuration with secrets redacted", async () => {
    const r = await api(f.admin, "GET", "/api/v1/broker", { as: "viewer" });
    expect(r.body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.body.config.listeners.map((l: { name: string }) => l.name)).toEqual(["default", "admin"]);
  });

  it("lists the MQTT listener with its connection count, and the admin listener", async () => {
    const c = await connect("lst-1", 4);
    const r = await api(f.admin, "GET", "/api/v1/listeners", { as: "viewer" });
    const mqtt = r.body.items.find((l: { name: string }) => l.name === "default");
    expect(mqtt).toMatchObject({ type: "tcp", bind: `127.0.0.1:${f.mqttPort}`, tls: false });
    expect(mqtt.connections).toBeGreaterThanOrEqual(1);
    expect(r.body.items.find((l: { name: string }) => l.name === "admin")).toMatchObject({ type: "http" });
    await c.endAsync();
  });

  it("stats count connections and messages; the history holds samples with rates", async () => {
    const before = (await api(f.admin, "GET", "/api/v1/stats", { as: "viewer" })).body;
    f.admin.history.sample();
    // The 1 s sampler runs too: the samples from here on cover this test's traffic only.
    const firstOfTest = f.admin.history.samples().length;
    const c = await connect("stats-1", 5);
    for (let i = 0; i < 5; i++) await c.publishAsync("stats/t", "hello", { qos: 1 });
    const after = (await api(f.admin, "GET", "/api/v1/stats", { as: "viewer" })).body;
    expect(after.connections.total).toBeGreaterThan(before.connections.total);
    expect(after.messages.in - before.messages.in).toBe(5);
    f.admin.history.sample();
    const history = (await api(f.admin, "GET", "/api/v1/stats/history", { as: "viewer" })).body;
    expect(history.intervalMs).toBe(1000);
    expect(history.samples.length).toBeGreaterThanOrEqual(2);
    const ours = history.samples.slice(firstOfTest) as { messagesIn: number }[];
    expect(ours.some((sample) => sample.messagesIn > 0)).toBe(true);
    await c.endAsync();
  });

  it("a broker that is not a cluster node: no cluster nodes, stats and lists for this node (scope=cluster changes nothing)", async () => {
    const nodes = await api(f.admin, "GET", "/api/v1/cluster/nodes", { as: "viewer" });
    expect(nodes.body).toEqual({ clustered: false, nodeId: null, items: [] });
    const stats = await api(f.admin, "GET", "/api/v1/stats?scope=cluster", { as: "viewer" });
    expect([stats.body.scope, stats.body.nodes, stats.body.missingNodes]).toEqual(["node", 1, []]);
    const c = await connect("solo-node-1", 4);
    const list = await api(f.admin, "GET", "/api/v1/clients?search=solo-node", { as: "viewer" });
    expect(
      list.body.items.map((i: { clientId: string; node: string | null }) => [i.clientId, i.node]),
    ).toEqual([["solo-node-1", null]]);
    expect(list.body.missingNodes).toBeUndefined();
    expect((await api(f.admin, "GET", "/api/v1/stats?scope=bogus", { as: "viewer" })).body.error.field).toBe(
      "scope",
    );
    await c.endAsync();
  });

  it("reload answers the broker's reload report (what applied, what was refused)", async () => {
    const r = await api(f.admin, "POST", "/api/v1/reload", { as: "admin" });
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body.applied)).toBe(true);
    expect(Array.isArray(r.body.refused)).toBe(true);
  });
});

describe("clients", () => {
  it("lists connected clients of MQTT.js and mosquitto_sub, with filters and paging", async () => {
    const v5 = await connect("cl-mqttjs-5", 5, { username: "dev-user" });
    const v4 = await connect("cl-mqttjs-4", 4);
    const sub = mosquittoSub(f.mqttPort, "cl-mosquitto", "cl/#");
    await until(
      async () => f.broker.context.session("cl-mosquitto")?.subscriptions === 1,
      5000,
      "mosquitto_sub",
    );
    const all = await api(f.admin, "GET", "/api/v1/clients?search=cl-", { as: "viewer" });
    expect(all.body.items.map((c: { clientId: string }) => c.clientId)).toEqual([
      "cl-mosquitto",
      "cl-mqttjs-4",
      "cl-mqttjs-5",
    ]);
    const five = all.body.items.find((c: { clientId: string }) => c.clientId === "cl-mqttjs-5");
    expect(five).toMatchObject({ username: "dev-user", protocolVersion: 5, listener: "default" });
    expect(five.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const only5 = await api(f.admin, "GET", "/api/v1/clients?search=cl-&protocol=5", { as: "viewer" });
    expect(only5.body.items.map((c: { clientId: string }) => c.clientId)).toEqual(["cl-mqttjs-5"]);
    const byUser = await api(f.admin, "GET", "/api/v1/clients?search=DEV-USER", { as: "viewer" });
    expect(byUser.body.items.map((c: { clientId: string }) => c.clientId)).toEqual(["cl-mqttjs-5"]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await api(
        f.admin,
        "GET",
        `/api/v1/clients?search=cl-&limit=1${cursor ? `&cursor=${cursor}` : ""}`,
        {
          as: "viewer",
        },
      );
      expect(r.body.items.length).toBe(1);
      seen.push(r.body.items[0].clientId);
      cursor = r.body.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(["cl-mosquitto", "cl-mqttjs-4", "cl-mqttjs-5"]);

    const one = await api(f.admin, "GET", "/api/v1/clients/cl-mosquitto", { as: "viewer" });
    expect(one.body.session).toMatchObject({ online: true, protocolVersion: 4 });
    expect(one.body.subscriptions).toEqual([
      {
        clientId: "cl-mosquitto",
        filter: "cl/#",
        qos: 0,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0,
        shareGroup: null,
      },
    ]);
    sub.child.kill("SIGKILL");
    await v4.endAsync();
    await v5.endAsync();
  });

  it.each([
    ["/api/v1/clients?limit=0", "limit"],
    ["/api/v1/clients?limit=abc", "limit"],
    ["/api/v1/clients?protocol=7", "protocol"],
    ["/api/v1/clients?cursor=%25%25", "cursor"],
    ["/api/v1/sessions?state=sleeping", "state"],
  ])("GET %s is 400 naming %s", async (path, field) => {
    const r = await api(f.admin, "GET", path, { as: "viewer" });
    expect([r.status, r.body.error.code, r.body.error.field]).toEqual([400, "bad_request", field]);
  });

  it("kicks a 5.0 client with DISCONNECT Administrative action; a bad reason is 400 and the client stays", async () => {
    const c = await connect("kick-me", 5);
    const bad = await api(f.admin, "DELETE", "/api/v1/clients/kick-me?reason=Because", { as: "admin" });
    expect([bad.status, bad.body.error.field]).toEqual([400, "reason"]);
    expect(c.connected).toBe(true);
    const disconnect = new Promise<number | undefined>((resolve) =>
      c.once("disconnect", (p) => resolve(p.reasonCode)),
    );
    const r = await api(f.admin, "DELETE", "/api/v1/clients/kick-me?reason=AdministrativeAction", {
      as: "admin-token",
    });
    expect(r.status).toBe(204);
    expect(await disconnect).toBe(0x98);
    expect((await api(f.admin, "DELETE", "/api/v1/clients/kick-me", { as: "admin" })).status).toBe(404);
    expect((await api(f.admin, "GET", "/api/v1/clients/kick-me", { as: "admin" })).status).toBe(404);
  });
});

describe("sessions and subscriptions", () => {
  it("an offline session is listed and deleted; an online one is 409 and stays", async () => {
    const p = await connect("sess-persist", 5, { clean: false, properties: { sessionExpiryInterval: 3600 } });
    await p.subscribeAsync("sess/#", { qos: 1 });
    const online = await api(f.admin, "DELETE", "/api/v1/sessions/sess-persist", { as: "admin" });
    expect([online.status, online.body.error.code]).toEqual([409, "conflict"]);
    expect(f.broker.context.session("sess-persist")?.online).toBe(true);
    await p.endAsync();
    await until(() => f.broker.context.session("sess-persist")?.online === false, 5000, "offline");
    const offline = await api(f.admin, "GET", "/api/v1/sessions?state=offline", { as: "viewer" });
    expect(offline.body.items.map((s: { clientId: string }) => s.clientId)).toContain("sess-persist");
    const one = await api(f.admin, "GET", "/api/v1/sessions/sess-persist", { as: "viewer" });
    expect(one.body).toMatchObject({ online: false, expiryInterval: 3600 });
    expect(one.body.subscriptions.map((s: { filter: string }) => s.filter)).toEqual(["sess/#"]);
    expect((await api(f.admin, "DELETE", "/api/v1/sessions/sess-persist", { as: "admin" })).status).toBe(204);
    expect((await api(f.admin, "GET", "/api/v1/sessions/sess-persist", { as: "viewer" })).status).toBe(404);
    expect(f.broker.stats().subscriptionsCount).toBe(0);
  });

  it("adds a subscription for an unknown client id (an offline session); MQTT.js resumes it and gets what was queued", async () => {
    const r = await api(f.admin, "POST", "/api/v1/clients/later-device/subscriptions", {
      as: "admin",
      body: { filter: "later/#", qos: 1 },
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ clientId: "later-device", filter: "later/#", qos: 1, createdSession: true });
    const list = await api(f.admin, "GET", "/api/v1/subscriptions?clientId=later-device", { as: "viewer" });
    expect(list.body.items.map((s: { filter: string }) => s.filter)).toEqual(["later/#"]);
    expect(
      (await api(f.admin, "GET", "/api/v1/clients/later-device/subscriptions", { as: "viewer" })).body.items,
    ).toHaveLength(1);
    const pub = await connect("later-pub", 4);
    await pub.publishAsync("later/a", "for-later", { qos: 1 });
    await until(() => f.broker.context.session("later-device")?.queued === 1, 5000, "queued");
    // Listening before the CONNECT: the queued message may arrive with the CONNACK.
    const device = mqttConnect({
      host: "127.0.0.1",
      port: f.mqttPort,
      clientId: "later-device",
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.push(device);
    const got = await new Promise<string>((resolve) =>
      device.once("message", (_t, payload) => resolve(payload.toString())),
    );
    expect(got).toBe("for-later");
    const del = await api(
      f.admin,
      "DELETE",
      "/api/v1/clients/later-device/subscriptions?filter=later%2F%23",
      { as: "admin" },
    );
    expect(del.status).toBe(204);
    expect(
      (
        await api(f.admin, "DELETE", "/api/v1/clients/later-device/subscriptions?filter=later%2F%23", {
          as: "admin",
        })
      ).status,
    ).toBe(404);
    await device.endAsync();
    await pub.endAsync();
  });

  it.each([
    [{ filter: "a/#/b", qos: 0 }, "filter"],
    [{ qos: 0 }, "filter"],
    [{ filter: "ok/#", qos: 3 }, "qos"],
    [{ filter: "ok/#", qos: "1" }, "qos"],
  ])("POST subscriptions %j is 400 naming %s, creating nothing", async (body, field) => {
    const before = f.broker.context.sessions().length;
    const r = await api(f.admin, "POST", "/api/v1/clients/bad-sub/subscriptions", { as: "admin", body });
    expect([r.status, r.body.error.field]).toEqual([400, field]);
    expect(f.broker.context.session("bad-sub")).toBeUndefined();
    expect(f.broker.context.sessions().length).toBe(before);
  });

  it("malformed JSON and a missing filter on DELETE are 400", async () => {
    const r = await api(f.admin, "POST", "/api/v1/clients/x/subscriptions", {
      as: "admin",
      rawBody: "{not json",
    });
    expect([r.status, r.body.error.field]).toEqual([400, "body"]);
    const d = await api(f.admin, "DELETE", "/api/v1/clients/x/subscriptions", { as: "admin" });
    expect([d.status, d.body.error.field]).toEqual([400, "filter"]);
  });
});

describe("retained messages and publish", () => {
  it("lists, gets (text and binary) and deletes retained messages published by MQTT.js", async () => {
    const c = await connect("ret-pub", 5);
    await c.publishAsync("ret/a/text", "hello retained", { qos: 1, retain: true });
    await c.publishAsync("ret/b/bin", Buffer.from([0xff, 0x00, 0xfe]), { qos: 0, retain: true });
    await until(() => f.broker.context.retainedMessages("ret/#").length === 2, 5000, "retained");
    const list = await api(f.admin, "GET", `/api/v1/retained?filter=${encodeURIComponent("ret/#")}`, {
      as: "viewer",
    });
    expect(list.body.items.map((r: { topic: string }) => r.topic)).toEqual(["ret/a/text", "ret/b/bin"]);
    const text = await api(f.admin, "GET", `/api/v1/retained/${encodeURIComponent("ret/a/text")}`, {
      as: "viewer",
    });
    expect(text.body).toMatchObject({
      topic: "ret/a/text",
      qos: 1,
      payload: "hello retained",
      encoding: "utf8",
      payloadSize: 14,
    });
    const bin = await api(f.admin, "GET", "/api/v1/retained/ret/b/bin", { as: "viewer" });
    expect(bin.body).toMatchObject({
      encoding: "base64",
      payload: Buffer.from([0xff, 0x00, 0xfe]).toString("base64"),
    });
    const bad = await api(f.admin, "GET", "/api/v1/retained?filter=a%2F%23%2Fb", { as: "viewer" });
    expect([bad.status, bad.body.error.field]).toEqual([400, "filter"]);
    expect((await api(f.admin, "DELETE", "/api/v1/retained/ret%2Fa%2Ftext", { as: "admin" })).status).toBe(
      204,
    );
    expect((await api(f.admin, "GET", "/api/v1/retained/ret%2Fa%2Ftext", { as: "viewer" })).status).toBe(404);
    expect((await api(f.admin, "DELETE", "/api/v1/retained/ret%2Fa%2Ftext", { as: "admin" })).status).toBe(
      404,
    );
    expect(f.broker.context.retainedMessage("ret/b/bin")).toBeDefined();
    await c.endAsync();
  });

  it("publishes to mosquitto_sub; bad topic, encoding, payload or qos is 400 and nothing is sent", async () => {
    const sub = mosquittoSub(f.mqttPort, "pub-watch", "adm/#");
    await until(() => f.broker.context.session("pub-watch")?.subscriptions === 1, 5000, "mosquitto_sub");
    const refused: [Record<string, unknown>, string][] = [
      [{ topic: "adm/#", payload: "x" }, "topic"],
      [{ topic: "", payload: "x" }, "topic"],
      [{ topic: "adm/t", payload: 5 }, "payload"],
      [{ topic: "adm/t", payload: "x", encoding: "hex" }, "encoding"],
      [{ topic: "adm/t", payload: "**", encoding: "base64" }, "payload"],
      [{ topic: "adm/t", payload: "x", qos: 9 }, "qos"],
      [{ topic: "adm/t", payload: "x", retain: "yes" }, "retain"],
    ];
    for (const [body, field] of refused) {
      const r = await api(f.admin, "POST", "/api/v1/publish", { as: "admin", body });
      expect([r.status, r.body.error.field], JSON.stringify(body)).toEqual([400, field]);
    }
    const ok = await api(f.admin, "POST", "/api/v1/publish", {
      as: "admin-token",
      body: {
        topic: "adm/t",
        payload: Buffer.from("from the API").toString("base64"),
        encoding: "base64",
        qos: 1,
      },
    });
    expect(ok.status).toBe(202);
    await until(() => sub.lines.length > 0, 5000, "mosquitto_sub output");
    expect(sub.lines).toEqual(["adm/t from the API"]);
  });

  it("rejects a body over the bound with 413", async () => {
    const r = await api(f.admin, "POST", "/api/v1/publish", {
      as: "admin",
      body: { topic: "big", payload: "x".repeat(1024 * 1024 + 10) },
    });
    expect([r.status, r.body.error.code]).toEqual([413, "payload_too_large"]);
  });
});

describe("live topic viewer", () => {
  const open = (query: string) =>
    new Promise<{ ws: WebSocket; frames: unknown[] }>((resolve, reject) => {
      const ws = new WebSocket(`${f.admin.url.replace("http", "ws")}/api/v1/live?${query}`);
      const frames: unknown[] = [];
      ws.on("message", (d) => frames.push(JSON.parse(d.toString())));
      ws.once("open", () => resolve({ ws, frames }));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`status ${res.statusCode}`)));
      ws.once("error", reject);
    });

  it("streams matching messages as JSON frames to a viewer with a token; none without", async () => {
    await expect(open("filter=live%2F%23")).rejects.toThrow("status 401");
    const { ws, frames } = await open(`filter=live%2F%23&token=${TOKENS.viewer}`);
    const c = await connect("live-pub", 5);
    await c.publishAsync("live/a", "one", { qos: 1 });
    await c.publishAsync("other/b", "not this", { qos: 1 });
    await c.publishAsync("live/c", "two", { qos: 0 });
    await until(() => frames.length >= 2, 5000, "frames");
    expect(frames.map((fr) => (fr as { topic: string; payload: string }).payload)).toEqual(["one", "two"]);
    expect(frames[0]).toMatchObject({ topic: "live/a", qos: 1, retain: false, encoding: "utf8" });
    ws.close();
    await c.endAsync();
  });

  it("refuses a viewer over the bound of viewers (429) and a bad filter (400)", async () => {
    const one = await startFixture({ secured: true, admin: { live: { maxViewers: 1 } } });
    try {
      const url = (q: string) =>
        `${one.admin.url.replace("http", "ws")}/api/v1/live?${q}&token=${TOKENS.viewer}`;
      const status = (q: string) =>
        new Promise<number>((resolve) => {
          const ws = new WebSocket(url(q));
          ws.once("open", () => resolve(101));
          ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
          ws.once("error", () => {});
        });
      const first = new WebSocket(url("filter=a"));
      await new Promise((r) => first.once("open", r));
      expect(await status("filter=b")).toBe(429);
      expect(await status("filter=a%2F%23%2Fb")).toBe(400);
      first.close();
    } finally {
      await one.stop();
    }
  });

  it("a viewer that does not read loses frames (bounded buffer) and is told how many", async () => {
    const small = await startFixture({ secured: true, admin: { live: { bufferBytes: 64 * 1024 } } });
    try {
      const ws = new WebSocket(
        `${small.admin.url.replace("http", "ws")}/api/v1/live?filter=%23&token=${TOKENS.viewer}`,
      );
      const frames: Record<string, unknown>[] = [];
      ws.on("message", (d) => frames.push(JSON.parse(d.toString())));
      await new Promise((r) => ws.once("open", r));
      // The viewer stops reading: its socket's receive buffer fills, then the server's send buffer.
      (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const payload = new Uint8Array(4096).fill(0x61);
      for (let i = 0; i < 2000; i++) small.broker.publish({ topic: `flood/${i}`, payload });
      await until(() => small.admin.counters.liveDropped > 0, 5000, "drops");
      (ws as unknown as { _socket: { resume(): void } })._socket.resume();
      // Once the viewer drains, a later message gets through, after the notice of what was lost.
      await until(
        () => {
          small.broker.publish({ topic: "flood/last", payload: "end" });
          return frames.some((fr) => fr.topic === "flood/last");
        },
        10_000,
        "a frame after the flood",
      );
      const notice = frames.find((fr) => typeof fr.dropped === "number");
      expect(notice?.dropped).toBeGreaterThan(0);
      expect(frames.filter((fr) => typeof fr.topic === "string").length).toBeLessThan(2001);
      ws.close();
    } finally {
      await small.stop();
    }
  });
});

describe("bridges", () => {
  it("GET /api/v1/bridges is an empty list when the admin listener was given no bridges", async () => {
    const r = await api(f.admin, "GET", "/api/v1/bridges", { as: "viewer-token" });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ items: [] });
    const stats = await api(f.admin, "GET", "/api/v1/stats", { as: "viewer-token" });
    expect(stats.body.bridges).toEqual({ total: 0, connected: 0, queued: 0, dropped: 0 });
  });
});

describe("the OpenAPI document", () => {
  it("every documented HTTP operation was answered with a 2xx checked against it", () => {
    // The live viewer is a WebSocket upgrade (tested above).
    const missing = operations()
      .filter((op) => op !== "GET /api/v1/live")
      .filter((op) => ![...covered].some((c) => c.startsWith(`${op} 2`)));
    expect(missing).toEqual([]);
  });
});
