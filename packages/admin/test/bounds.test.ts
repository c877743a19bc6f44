// Every queue, map and buffer of the admin listener has a bound by default.
import { emptyStats, hashPassword } from "@amqtt/broker";
import { describe, expect, it } from "vitest";
import {
  Credentials,
  DEFAULT_HISTORY_SAMPLES,
  DEFAULT_MAX_FAILURES,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_TRACKED,
  LoginLimiter,
  parseAdminUsers,
  parseTokens,
  REDACTED,
  redact,
  StatsHistory,
  sha256Hex,
  TokensFileError,
} from "../src/index.js";

describe("bounds", () => {
  it("the stats history keeps the last 600 samples by default, oldest first", () => {
    let n = 0;
    const history = new StatsHistory(() => ({ ...emptyStats(), clientsConnected: n }));
    expect(history.capacity).toBe(DEFAULT_HISTORY_SAMPLES);
    for (n = 0; n < 700; n++) history.sample(1_000_000 + n * 1000);
    const samples = history.samples();
    expect(samples.length).toBe(600);
    expect(samples[0]!.connections).toBe(100);
    expect(samples.at(-1)!.connections).toBe(699);
  });

  it("the login limiter blocks after the default number of failures and tracks a bounded number of addresses", () => {
    const limiter = new LoginLimiter();
    for (let i = 0; i < DEFAULT_MAX_FAILURES; i++) limiter.failed("10.0.0.1", 1000);
    expect(limiter.blockedFor("10.0.0.1", 1001)).toBeGreaterThan(0);
    expect(limiter.blockedFor("10.0.0.1", 1000 + 61_000)).toBe(0);
    for (let i = 0; i < DEFAULT_MAX_TRACKED + 50; i++) limiter.failed(`addr-${i}`, 5000);
    expect(limiter.size).toBe(DEFAULT_MAX_TRACKED);
  });

  it("login sessions are bounded (oldest ends first) and expire", async () => {
    const creds = new Credentials({ passwordFile: undefined, tokensFile: undefined }, 1000, 3);
    const tokens = [1, 2, 3, 4].map(() => creds.startSession("u", "admin", 0).token);
    expect(creds.sessionCount).toBe(3);
    expect(creds.verifyToken(tokens[0]!, 10)).toBeUndefined();
    expect(creds.verifyToken(tokens[3]!, 10)?.via).toBe("session");
    expect(creds.verifyToken(tokens[3]!, 1000)).toBeUndefined();
    expect(new Credentials({ passwordFile: undefined, tokensFile: undefined }).configured).toBe(false);
    expect(DEFAULT_MAX_SESSIONS).toBe(1000);
  });
});

describe("credential files", () => {
  it("reads the broker's password format with an optional role; no role is admin", async () => {
    const users = parseAdminUsers(`a:${await hashPassword("x")}\nb:${await hashPassword("y")}:viewer\n`, "f");
    expect(users.get("a")?.role).toBe("admin");
    expect(users.get("b")?.role).toBe("viewer");
    expect(users.get("b")?.hash).toMatch(/^\$argon2/);
  });

  it("tokens are stored as sha256; a bad line is a TokensFileError naming the line", () => {
    const tokens = parseTokens(`# comment\nci:admin:${sha256Hex("secret")}\n`, "t");
    expect(tokens.get(sha256Hex("secret"))).toEqual({ name: "ci", role: "admin" });
    for (const bad of [`ci:root:${sha256Hex("s")}`, "ci:admin:plaintext", "ci:admin"]) {
      try {
        parseTokens(`\n${bad}\n`, "t");
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(TokensFileError);
        expect((error as TokensFileError).line).toBe(2);
      }
    }
  });
});

describe("redaction", () => {
  it("masks secrets and URL passwords in the configuration, keeps file paths", () => {
    const out = redact({
      plugins: [{ name: "jwt", options: { secret_key: "s3cr3t", password_file: "/etc/amqtt/passwd" } }],
      persistence: { url: "postgres://amqtt:hunter2@db:5432/amqtt" },
      tls: { cadata: "-----BEGIN CERTIFICATE-----" },
    }) as { plugins: { options: unknown }[]; persistence: { url: string }; tls: { cadata: string } };
    expect(out.plugins[0]!.options).toEqual({ secret_key: REDACTED, password_file: "/etc/amqtt/passwd" });
    expect(out.persistence.url).toBe(`postgres://amqtt:${REDACTED}@db:5432/amqtt`);
    expect(out.tls.cadata).toBe(REDACTED);
    expect(JSON.stringify(out)).not.toMatch(/hunter2|s3cr3t/);
  });
});

describe("the admin listener's connections", () => {
  it("accepts at most the listener's max_connections at once", async () => {
    const { connect } = await import("node:net");
    const { startFixture } = await import("./harness.js");
    const f = await startFixture({
      config: {
        listeners: {
          default: { type: "tcp", bind: "127.0.0.1:0" },
          admin: { type: "http", bind: "127.0.0.1:0", max_connections: 1 },
        },
      },
    });
    try {
      const ask = () =>
        new Promise<string>((resolve) => {
          const socket = connect(f.admin.port, "127.0.0.1");
          let answer = "";
          socket.on("data", (d) => {
            answer += d;
            if (answer.includes("\r\n\r\n")) socket.destroy();
          });
          socket.once("close", () => resolve(answer));
          socket.once("error", () => {});
          socket.write("GET /healthz HTTP/1.1\r\nhost: admin\r\nconnection: close\r\n\r\n");
        });
      const held = connect(f.admin.port, "127.0.0.1");
      await new Promise((r) => held.once("connect", r));
      await new Promise((r) => setTimeout(r, 50));
      // The second connection is closed unanswered while the first is open.
      expect(await ask()).toBe("");
      held.destroy();
      await new Promise((r) => setTimeout(r, 50));
      expect(await ask()).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      await f.stop();
    }
  });
});
