import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { AclAction } from "../../src/index.js";
import { optionsValidator, topicAccessHooks, topicAccessPlugin, topicFilterPlugin } from "../../src/index.js";
import { client, message } from "./helpers.js";

describe("topicAccessPlugin / topicAccessHooks", () => {
  it("routes publish and receive by the message's topic and subscribe by the filter as sent", async () => {
    const asked: [AclAction, string][] = [];
    const plugin = topicAccessPlugin("log", (_client, action, topic) => {
      asked.push([action, topic]);
      return action === "publish";
    });
    const who = client({ username: "alice" });
    expect(plugin.name).toBe("log");
    expect(await plugin.authorizePublish(who, message("a/b"))).toBe(true);
    expect(await plugin.authorizeSubscribe(who, "$share/g/a/#", 1)).toBe(false);
    expect(await plugin.authorizeReceive(who, message("c/d"))).toBe(false);
    expect(asked).toEqual([
      ["publish", "a/b"],
      ["subscribe", "$share/g/a/#"],
      ["receive", "c/d"],
    ]);
  });

  it("passes the check's answer through unchanged: abstain, a reason code, a promise", async () => {
    const answers = { publish: undefined, subscribe: 0x87, receive: Promise.resolve(true) } as const;
    const hooks = topicAccessHooks((_client, action) => answers[action]);
    const who = client();
    expect(await hooks.authorizePublish(who, message("t"))).toBeUndefined();
    expect(await hooks.authorizeSubscribe(who, "t", 0)).toBe(0x87);
    expect(await hooks.authorizeReceive(who, message("t"))).toBe(true);
  });

  it("keeps the other members given, and the trio wins over same-named ones", async () => {
    let started = 0;
    const plugin = topicAccessPlugin("with-start", () => false, {
      start: () => {
        started++;
      },
      authorizePublish: () => true,
    });
    await plugin.start?.({} as never);
    expect(started).toBe(1);
    expect(await plugin.authorizePublish(client(), message("t"))).toBe(false);
  });
});

describe("topicFilterPlugin", () => {
  const lists: Record<string, Partial<Record<AclAction, string[]>>> = {
    alice: { publish: ["sensors/alice/#"], subscribe: ["sensors/+/t"], receive: ["sensors/#"] },
  };
  const plugin = topicFilterPlugin("lists", async (client, action) => lists[client.username ?? ""]?.[action]);
  const alice = client({ username: "alice" });

  it("allows what a filter of the client's list for that action covers, and denies the rest", async () => {
    expect(await plugin.authorizePublish(alice, message("sensors/alice/t"))).toBe(true);
    expect(await plugin.authorizePublish(alice, message("sensors/bob/t"))).toBe(false);
    expect(await plugin.authorizeReceive(alice, message("sensors/bob/t"))).toBe(true);
  });

  it("checks a subscription's filter whole: a list filter must cover every topic it can match", async () => {
    expect(await plugin.authorizeSubscribe(alice, "sensors/bob/t", 0)).toBe(true);
    expect(await plugin.authorizeSubscribe(alice, "sensors/+/t", 0)).toBe(true);
    expect(await plugin.authorizeSubscribe(alice, "sensors/#", 0)).toBe(false);
  });

  it("denies a client without lists, synchronously when the lists are", () => {
    const sync = topicFilterPlugin("sync", () => undefined);
    expect(sync.authorizePublish(client({ username: "mallory" }), message("t"))).toBe(false);
  });
});

describe("optionsValidator", () => {
  const schema = z.strictObject({ file: z.string().min(1), max: z.int().min(1).default(3) });
  const validate = optionsValidator(schema, (parsed, { baseDir }) =>
    parsed.file === "missing"
      ? [{ path: "file", message: "file not found" }]
      : { file: `${baseDir}/${parsed.file}`, max: parsed.max },
  );

  it("runs the second step on what the schema parsed (defaults applied)", () => {
    expect(validate({ file: "a.txt" }, { baseDir: "/etc" })).toEqual({
      options: { file: "/etc/a.txt", max: 3 },
    });
  });

  it("reports schema issues at their key paths and never runs the second step on them", () => {
    const result = validate({ file: "", extra: 1 }, { baseDir: "/etc" });
    expect("issues" in result && result.issues.map((i) => i.path).sort()).toEqual(["", "file"]);
  });

  it("returns the issues of the second step", () => {
    expect(validate({ file: "missing" }, { baseDir: "/etc" })).toEqual({
      issues: [{ path: "file", message: "file not found" }],
    });
  });
});
