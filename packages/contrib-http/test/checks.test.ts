import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnswerCache, HttpChecker, type HttpPluginOptions, httpOptionsSchema } from "../src/index.js";
import { TestService } from "./service.js";

let service: TestService;
beforeAll(async () => {
  service = await TestService.start();
});
afterAll(() => service.stop());

function options(extra: Record<string, unknown> = {}): HttpPluginOptions {
  return httpOptionsSchema.parse({ host: "127.0.0.1", port: service.port, ...extra });
}

async function ask(
  extra: Record<string, unknown>,
  fields = { username: "u", password: "p w&=", client_id: "c" },
) {
  const checker = new HttpChecker(options(extra));
  try {
    return await checker.check("/user", fields);
  } finally {
    checker.close();
  }
}

describe("aMQTT's HTTP options", () => {
  it("have aMQTT's defaults: GET, json request, json response, /user, /acl, user agent amqtt, 5 s", () => {
    expect(options()).toMatchObject({
      request_method: "get",
      params_mode: "json",
      response_mode: "json",
      user_uri: "/user",
      topic_uri: "/acl",
      with_tls: false,
      user_agent: "amqtt",
      timeout: 5,
      cache_ttl: 0,
    });
  });

  it("accept acl_uri, the name aMQTT's docs and code use, for topic_uri", () => {
    expect(options({ acl_uri: "/check" }).topic_uri).toBe("/check");
  });

  it("refuse an unknown request method", () => {
    expect(httpOptionsSchema.safeParse({ host: "h", port: 1, request_method: "delete" }).success).toBe(false);
  });
});

describe("the request carries aMQTT's fields in the configured mode", () => {
  it.each([
    ["get", "json", "application/json", "body"],
    ["post", "json", "application/json", "body"],
    ["put", "json", "application/json", "body"],
    ["get", "form", undefined, "query"],
    ["post", "form", "application/x-www-form-urlencoded", "body"],
    ["put", "form", "application/x-www-form-urlencoded", "body"],
  ])("%s with %s params", async (method, mode, contentType, where) => {
    service.decide = () => ({ status: 200, body: '{"ok": true}' });
    const before = service.seen.length;
    expect(await ask({ request_method: method, params_mode: mode, user_agent: "tester/1" })).toBe(true);
    const seen = service.seen[before]!;
    expect(seen.method).toBe(method.toUpperCase());
    expect(seen.path).toBe("/user");
    expect(seen.userAgent).toBe("tester/1");
    expect(seen.contentType).toBe(contentType);
    expect(seen.fields).toEqual({ username: "u", password: "p w&=", client_id: "c" });
    if (where === "query") expect(seen.body).toBe("");
    else expect(seen.query).toEqual({});
  });
});

describe("the three response modes", () => {
  it.each([
    [200, "", true],
    [204, "", true],
    [401, "", false],
    [403, "", false],
    [500, "", false],
    [302, "", false],
  ])("status mode: %i answers %s", async (status, body, expected) => {
    service.decide = () => ({ status, body });
    expect(await ask({ response_mode: "status" })).toBe(expected);
  });

  it.each([
    [200, '{"ok": true}', true],
    [200, '{"Ok": true}', true],
    [200, '{"OK": false}', false],
    [200, '{"ok": false, "error": "no"}', false],
    [200, '{"ok": null}', undefined],
    [200, '{"error": "no ok key"}', false],
    [200, "[1]", false],
    [403, '{"ok": true}', false],
  ])("json mode: %i %s answers %s", async (status, body, expected) => {
    service.decide = () => ({ status, body });
    expect(await ask({ response_mode: "json" })).toBe(expected);
  });

  it.each([
    [200, "ok", true],
    [200, "OK\n", true],
    [200, "error", false],
    [500, "ok", false],
  ])("text mode: %i %j answers %s", async (status, body, expected) => {
    service.decide = () => ({ status, body, type: "text/plain" });
    expect(await ask({ response_mode: "text" })).toBe(expected);
  });

  it("json mode: a body that is not JSON is an error, not an answer", async () => {
    service.decide = () => ({ status: 200, body: "<html>" });
    await expect(ask({ response_mode: "json" })).rejects.toMatchObject({
      name: "HttpCheckError",
      kind: "bad-response",
    });
  });

  it("a response larger than max_response_bytes is an error", async () => {
    service.decide = () => ({ status: 200, body: `{"ok": true, "pad": "${"x".repeat(5000)}"}` });
    await expect(ask({ max_response_bytes: 1024 })).rejects.toMatchObject({ kind: "too-large" });
  });
});

describe("a slow or failing service", () => {
  it("a service that never answers is a timeout error after `timeout`", async () => {
    service.decide = () => "hang";
    await expect(ask({ timeout: 0.2 })).rejects.toMatchObject({ name: "HttpCheckError", kind: "timeout" });
    service.release();
  });

  it("a service that drops the connection is unreachable", async () => {
    service.decide = () => "close";
    await expect(ask({})).rejects.toMatchObject({ kind: "unreachable" });
  });

  it("a port nobody listens on is unreachable", async () => {
    const gone = await TestService.start();
    const port = gone.port;
    await gone.stop();
    const checker = new HttpChecker(options({ port }));
    await expect(checker.check("/user", { username: "u" })).rejects.toMatchObject({ kind: "unreachable" });
    checker.close();
  });
});

describe("the connection pool", () => {
  it("reuses one keep-alive socket for requests one after another", async () => {
    service.decide = () => ({ status: 200, body: '{"ok": true}' });
    const checker = new HttpChecker(options());
    const before = service.connections;
    for (let i = 0; i < 5; i++) expect(await checker.check("/user", { username: `u${i}` })).toBe(true);
    checker.close();
    expect(service.connections - before).toBe(1);
  });

  it("opens at most max_connections sockets however many checks wait", async () => {
    service.decide = () => "hang";
    service.maxOpen = service.open;
    const checker = new HttpChecker(options({ max_connections: 3 }));
    const pending = Array.from({ length: 12 }, (_, i) => checker.check("/user", { username: `u${i}` }));
    // Wait until the pool is full: three requests reached the service.
    const seenBefore = service.seen.length;
    while (service.seen.length - seenBefore < 3) await new Promise((r) => setTimeout(r, 10));
    expect(service.open).toBeLessThanOrEqual(3);
    service.decide = () => ({ status: 200, body: '{"ok": true}' });
    service.release();
    expect(await Promise.all(pending)).toEqual(Array(12).fill(true));
    expect(service.maxOpen).toBeLessThanOrEqual(3);
    checker.close();
  });
});

describe("the answer cache", () => {
  it("forgets an answer after its TTL", () => {
    let now = 1000;
    const cache = new AnswerCache<boolean>(500, 10, () => now);
    cache.set("a", true);
    now += 499;
    expect(cache.get("a")).toBe(true);
    now += 1;
    expect(cache.get("a")).toBeUndefined();
  });

  it("holds at most maxEntries answers, dropping the oldest", () => {
    const cache = new AnswerCache<boolean>(60_000, 3);
    for (const key of ["a", "b", "c", "d", "e"]) cache.set(key, true);
    expect(cache.size).toBe(3);
    expect(["a", "b", "c", "d", "e"].map((k) => cache.get(k))).toEqual([
      undefined,
      undefined,
      true,
      true,
      true,
    ]);
  });

  it("keeps nothing with a TTL of 0 (the default: off)", () => {
    const cache = new AnswerCache<boolean>(0, 3);
    cache.set("a", true);
    expect(cache.size).toBe(0);
  });
});
