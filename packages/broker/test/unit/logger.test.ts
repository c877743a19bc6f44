import { describe, expect, it } from "vitest";
import { createLogger, isSecretKey, levelOf, redactUrls } from "../../src/index.js";

function collect(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const logger = createLogger({ ...options, write: (line) => lines.push(line), now: () => 0 });
  return { logger, lines };
}

describe("createLogger", () => {
  it("json: one object per line with time, level, component, msg and fields", () => {
    const { logger, lines } = collect({ format: "json", level: "debug" });
    logger.child("plugins").child("event-logger").info("client connected", { clientId: "c1", n: 2 });
    logger.warn("no fields");
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n"))).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: "1970-01-01T00:00:00.000Z",
      level: "info",
      component: "plugins.event-logger",
      msg: "client connected",
      fields: { clientId: "c1", n: 2 },
    });
    expect(JSON.parse(lines[1]!)).toEqual({
      time: "1970-01-01T00:00:00.000Z",
      level: "warn",
      component: "amqtt",
      msg: "no fields",
    });
  });

  it("json: a message with newlines, bytes, an error and a cycle still makes one parseable line", () => {
    const { logger, lines } = collect({ format: "json" });
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    logger.error("two\nlines", { payload: new Uint8Array(5), error: new TypeError("bad"), cycle, big: 10n });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).fields).toEqual({
      payload: "<5 bytes>",
      error: { name: "TypeError", message: "bad" },
      cycle: { a: 1, self: "[circular]" },
      big: "10",
    });
    expect(JSON.parse(lines[0]!).msg).toBe("two\nlines");
  });

  it("text: [time] LEVEL component: message {fields}", () => {
    const { logger, lines } = collect();
    logger.child("broker").info("listening", { port: 1883 });
    expect(lines).toEqual(['[1970-01-01T00:00:00.000Z] INFO broker: listening {"port":1883}\n']);
  });

  it("levels per component: the longest matching key wins, others get the default level", () => {
    const levels = { broker: "debug", plugins: "error", "plugins.file-auth": "info" } as const;
    expect(levelOf("broker", "warn", levels)).toBe("debug");
    expect(levelOf("broker.x", "warn", levels)).toBe("debug");
    expect(levelOf("brokerage", "warn", levels)).toBe("warn");
    expect(levelOf("plugins.sys", "warn", levels)).toBe("error");
    expect(levelOf("plugins.file-auth", "warn", levels)).toBe("info");
    expect(levelOf("listeners", "warn", levels)).toBe("warn");

    const { logger, lines } = collect({ format: "json", level: "warn", levels });
    logger.child("broker").debug("a");
    logger.child("plugins").child("sys").warn("b");
    logger.child("plugins").child("file-auth").info("c");
    logger.child("listeners").info("d");
    logger.child("listeners").warn("e");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["a", "c", "e"]);
  });

  it("secrets never reach a line: secret-named fields and URL passwords are redacted in both formats", () => {
    for (const format of ["json", "text"] as const) {
      const { logger, lines } = collect({ format });
      logger.info("connecting to postgres://amqtt:hunter2@db:5432/x", {
        password: "hunter2",
        nested: { client_secret: "hunter2", accessToken: "hunter2", password_file: "/etc/amqtt/passwd" },
        url: "redis://:hunter2@127.0.0.1:6379",
        list: [{ passphrase: "hunter2" }],
      });
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toContain("hunter2");
      expect(lines[0]).toContain("<redacted>");
      // Paths of files holding secrets are not secrets.
      expect(lines[0]).toContain("/etc/amqtt/passwd");
    }
    expect(redactUrls("mqtts://user:pw@host:8883 and http://h/p")).toBe(
      "mqtts://user:<redacted>@host:8883 and http://h/p",
    );
    // Already masked (the stores write `***`): kept as written.
    expect(redactUrls("redis://:***@127.0.0.1:6379")).toBe("redis://:***@127.0.0.1:6379");
  });

  it("names a field secret by its last word or its plural, never a file's path or a key prefix", () => {
    for (const key of [
      "password",
      "bind_password",
      "secret_key",
      "jwtSecretKey",
      "tokens",
      "cadata",
      "credentials",
    ])
      expect(isSecretKey(key), key).toBe(true);
    for (const key of [
      "password_file",
      "secret_key_file",
      "tokens_file",
      "key_prefix",
      "keyfile",
      "username",
    ])
      expect(isSecretKey(key), key).toBe(false);
  });
});
