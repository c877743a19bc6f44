import { describe, expect, it } from "vitest";
import { redactUrl, StaleEpochError } from "../src/index.js";

describe("redactUrl", () => {
  it("replaces the password of database and Redis URLs with ***, and leaves the rest", () => {
    expect(redactUrl("postgresql+asyncpg://amqtt:s3cret@db:5432/amqtt")).toBe(
      "postgresql+asyncpg://amqtt:***@db:5432/amqtt",
    );
    expect(redactUrl("redis://:s3cret@127.0.0.1:6379/0")).toBe("redis://:***@127.0.0.1:6379/0");
    expect(redactUrl("rediss://user:p%40ss@cache.internal:6380")).toBe(
      "rediss://user:***@cache.internal:6380",
    );
    expect(redactUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
  });

  it("masks a user name that has no password with it when asked (Redis: it may be the password)", () => {
    expect(redactUrl("redis://s3cret@127.0.0.1:6379/0", "<URL>", true)).toBe("redis://***@127.0.0.1:6379/0");
    expect(redactUrl("mysql://amqtt@db/amqtt")).toBe("mysql://amqtt@db/amqtt");
  });

  it("replaces what does not parse whole, with the given placeholder", () => {
    expect(redactUrl("::s3cret::")).toBe("<URL>");
    expect(redactUrl("::s3cret::", "<Redis URL>")).toBe("<Redis URL>");
  });
});

describe("StaleEpochError", () => {
  it("names itself and carries the client id, the stale epoch and the current one", () => {
    const error = new StaleEpochError("c", 3, 5);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "StaleEpochError", clientId: "c", epoch: 3, current: 5 });
    expect(error.message).toContain("epoch 5");
  });
});
