import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DeliveryQueue } from "../src/delivery.js";
import {
  BoundedQueue,
  backoffDelay,
  ClientError,
  IncomingApplicationMessage,
  parseBrokerUri,
  resolveConfig,
} from "../src/index.js";

describe("client config", () => {
  it("has aMQTT's defaults and keeps the configured keep_alive (no ping_delay subtracted)", () => {
    const c = resolveConfig();
    expect([c.keepAlive, c.pingDelay, c.defaultQos, c.defaultRetain, c.autoReconnect]).toEqual([
      10,
      1,
      0,
      false,
      true,
    ]);
    expect([c.reconnectRetries, c.reconnectMaxInterval, c.cleanSession, c.connectionTimeout]).toEqual([
      2,
      10,
      true,
      60,
    ]);
    expect(c.connection.uri).toBe("mqtt://127.0.0.1:1883");
  });

  it("accepts aMQTT's snake_case keys and their camelCase twins, but not both", () => {
    expect(resolveConfig({ keep_alive: 30 }).keepAlive).toBe(30);
    expect(resolveConfig({ keepAlive: 30 }).keepAlive).toBe(30);
    expect(() => resolveConfig({ keep_alive: 1, keepAlive: 2 })).toThrow(ClientError);
    expect(resolveConfig({ broker: { uri: "ws://h/" } }).connection.uri).toBe("ws://h/");
  });

  it("refuses unknown keys, bad QoS and verify_cert false with check_hostname true", () => {
    expect(() => resolveConfig({ keepalive: 1 } as never)).toThrow(ClientError);
    expect(() => resolveConfig({ default_qos: 3 as never })).toThrow(ClientError);
    expect(() => resolveConfig({ verify_cert: false })).toThrow(ClientError);
    expect(resolveConfig({ verify_cert: false, check_hostname: false }).verifyCert).toBe(false);
  });
});

describe("broker URIs", () => {
  it("take credentials out of the URI, URL-decoded, and fill the scheme's default port", () => {
    const u = parseBrokerUri("mqtt://us%40er:p%3Ass@example.com");
    expect([u.username, u.password, u.url.port, u.url.href]).toEqual([
      "us@er",
      "p:ss",
      "1883",
      "mqtt://example.com:1883",
    ]);
    expect(parseBrokerUri("mqtts://h").url.port).toBe("8883");
    expect(parseBrokerUri("ws://h/mqtt").url.href).toBe("ws://h/mqtt"); // 80 is implied for ws
    expect(parseBrokerUri("wss://h:8443/mqtt").url.port).toBe("8443");
  });

  it("refuse other schemes", () => {
    expect(() => parseBrokerUri("http://h")).toThrow(ClientError);
    expect(() => parseBrokerUri("not a uri")).toThrow(ClientError);
  });
});

describe("reconnect backoff", () => {
  it("stays within [(1 - jitter) * capped, capped] and never exceeds the maximum", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (attempt, initialMs, maxMs, jitter, r) => {
          const capped = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
          const d = backoffDelay(attempt, { initialMs, maxMs, jitter, random: () => r });
          return d <= Math.round(capped) && d >= Math.floor(capped * (1 - jitter)) - 1;
        },
      ),
      { numRuns: 500 },
    );
  });

  it("doubles from the first delay without jitter (aMQTT's min(max, 2^attempt) s)", () => {
    const o = { initialMs: 1000, maxMs: 10_000, jitter: 0, random: () => 0.5 };
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, o))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });
});

describe("bounded queues", () => {
  it("never hold more than their count and byte bounds, whatever the policy", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom("reject-new" as const, "drop-oldest" as const),
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 100 }),
        (maxItems, maxBytes, policy, sizes) => {
          const q = new BoundedQueue<number>(maxItems, maxBytes, policy);
          let out = 0;
          sizes.forEach((size, i) => {
            out += q.push(i, size).length;
            if (q.length > maxItems || q.bytes > maxBytes) throw new Error("bound broken");
          });
          return out + q.length === sizes.length;
        },
      ),
      { numRuns: 300 },
    );
  });

  it("drop the oldest unread message when the delivery queue is full (default policy), reporting it", () => {
    const dropped: string[] = [];
    const q = new DeliveryQueue(2, "drop-oldest", (m) => dropped.push(m.topic));
    for (const t of ["a", "b", "c"])
      q.push(new IncomingApplicationMessage(undefined, t, 0, new Uint8Array(), false));
    expect(q.length).toBe(2);
    expect(dropped).toEqual(["a"]);
    expect(q.takeQueued(undefined)?.topic).toBe("b");
  });

  it("drop the arriving message with drop-new", () => {
    const dropped: string[] = [];
    const q = new DeliveryQueue(1, "drop-new", (m) => dropped.push(m.topic));
    for (const t of ["a", "b"])
      q.push(new IncomingApplicationMessage(undefined, t, 0, new Uint8Array(), false));
    expect(dropped).toEqual(["b"]);
    expect(q.takeQueued("a")?.topic).toBe("a");
  });
});
