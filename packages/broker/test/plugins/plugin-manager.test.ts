import { afterEach, describe, expect, it, vi } from "vitest";
import type { PluginHost } from "../../src/core/plugin-host.js";
import { type AuthzVerdict, PluginLoadError, PluginManager } from "../../src/plugins/index.js";
import type { AuthAnswer, AuthzAnswer, BrokerPlugin, PluginFactory } from "../../src/plugins/types.js";
import { client, context, type LogLine, message, recordingLogger } from "./helpers.js";

async function loaded(plugins: (BrokerPlugin | PluginFactory)[], timeoutMs = 50) {
  const lines: LogLine[] = [];
  const logger = recordingLogger(lines);
  const manager = new PluginManager({
    plugins,
    logger,
    createContext: (name, options) => context(options, { logger: logger.child(name) }),
    timeoutMs,
  });
  await manager.load();
  return { manager, lines };
}

const auth = (name: string, answer: AuthAnswer): BrokerPlugin => ({ name, authenticate: () => answer });
const pub = (name: string, answer: AuthzAnswer): BrokerPlugin => ({ name, authorizePublish: () => answer });
const never = () => new Promise<never>(() => {});

afterEach(() => {
  vi.useRealTimers();
});

describe("authentication combines answers with aMQTT's rule", () => {
  it.each<[string, AuthAnswer[], boolean]>([
    ["one acceptance accepts", [true], true],
    ["an acceptance and an abstention accept", [true, undefined], true],
    ["an acceptance and a refusal refuse", [true, false], false],
    ["abstentions alone refuse", [undefined, undefined], false],
    ["a refusal with a code refuses", [true, { refuse: 0x86 }], false],
  ])("%s", async (_title, answers, accepted) => {
    const { manager } = await loaded(answers.map((a, i) => auth(`p${i}`, a)));
    expect((await manager.authenticate(client())).accepted).toBe(accepted);
  });

  it("refuses every client when no plugin authenticates, as aMQTT does", async () => {
    const { manager } = await loaded([pub("only-acl", true)]);
    expect(await manager.authenticate(client())).toMatchObject({ accepted: false, reasonCode: 0x87 });
  });

  it("refuses with the code and reason a plugin gave, over a bare false", async () => {
    const { manager } = await loaded([auth("a", false), auth("b", { refuse: 0x86, reason: "bad password" })]);
    expect(await manager.authenticate(client())).toEqual({
      accepted: false,
      reasonCode: 0x86,
      reasonString: "bad password",
    });
  });

  it("refuses a bare false with 0x87 Not authorized", async () => {
    const { manager } = await loaded([auth("a", false)]);
    expect(await manager.authenticate(client())).toEqual({ accepted: false, reasonCode: 0x87 });
  });

  it("asks the plugins in parallel, so a slow plugin does not hold up a fast one", async () => {
    const order: string[] = [];
    const { manager } = await loaded([
      {
        name: "slow",
        authenticate: async () => {
          await new Promise((r) => setTimeout(r, 5));
          order.push("slow");
          return true;
        },
      },
      {
        name: "fast",
        authenticate: () => {
          order.push("fast");
          return undefined;
        },
      },
    ]);
    expect((await manager.authenticate(client())).accepted).toBe(true);
    expect(order).toEqual(["fast", "slow"]);
  });
});

describe("authorization: deny wins, abstaining allows", () => {
  it.each<[string, AuthzAnswer[], AuthzVerdict]>([
    ["no answer from anyone allows", [undefined, undefined], true],
    ["an allow and an abstention allow", [true, undefined], true],
    ["a denial wins over an allow", [true, false], false],
    ["a number denies with that reason code", [true, 0x87], 0x87],
    ["the first denial decides the code", [0x87, false], 0x87],
  ])("%s", async (_title, answers, verdict) => {
    const { manager } = await loaded(answers.map((a, i) => pub(`p${i}`, a)));
    expect(await manager.authorizePublish(client(), message("t"))).toBe(verdict);
  });

  it("ignores null, as aMQTT's docs say (its code denies on None: a QUIRK not copied)", async () => {
    const { manager } = await loaded([pub("none", null as unknown as AuthzAnswer)]);
    expect(await manager.authorizePublish(client(), message("t"))).toBe(true);
  });

  it("passes the filter and QoS to subscribe hooks and returns their code", async () => {
    const seen: unknown[] = [];
    const { manager } = await loaded([
      {
        name: "acl",
        authorizeSubscribe: (_c, filter, qos) => {
          seen.push(filter, qos);
          return 0x87;
        },
      },
    ]);
    expect(await manager.authorizeSubscribe(client(), "a/#", 1)).toBe(0x87);
    expect(seen).toEqual(["a/#", 1]);
  });

  it("allows everything when no plugin authorizes", async () => {
    const { manager } = await loaded([auth("a", true)]);
    expect(manager.authorizePublish(client(), message("t"))).toBe(true);
    expect(manager.authorizeSubscribe(client(), "t", 0)).toBe(true);
  });

  it("combines asynchronous and synchronous answers", async () => {
    const { manager } = await loaded([
      { name: "async-deny", authorizePublish: async () => false },
      pub("sync-allow", true),
    ]);
    expect(await manager.authorizePublish(client(), message("t"))).toBe(false);
  });
});

describe("authorizeReceive on the delivery path", () => {
  it("is undefined when no plugin implements it, so the broker skips the call", async () => {
    const { manager } = await loaded([auth("a", true), pub("p", true)]);
    expect(manager.has("authorizeReceive")).toBe(false);
    expect(manager.authorizeReceive).toBeUndefined();
  });

  it("answers synchronously when every implementation is synchronous", async () => {
    const { manager } = await loaded([
      { name: "a", authorizeReceive: () => undefined },
      { name: "b", authorizeReceive: (_c, m) => m.topic !== "secret" },
    ]);
    expect(manager.authorizeReceive?.(client(), message("open"))).toBe(true);
    expect(manager.authorizeReceive?.(client(), message("secret"))).toBe(false);
  });

  it("returns a promise when an implementation is asynchronous", async () => {
    const { manager } = await loaded([{ name: "a", authorizeReceive: async () => false }]);
    const verdict = manager.authorizeReceive?.(client(), message("t"));
    expect(verdict).toBeInstanceOf(Promise);
    expect(await verdict).toBe(false);
  });
});

describe("a plugin that throws or hangs does not take the broker down", () => {
  it("logs a throwing hook with the plugin's name and counts it as abstaining", async () => {
    const { manager, lines } = await loaded([
      {
        name: "broken",
        authorizePublish: () => {
          throw new Error("boom");
        },
        authenticate: async () => {
          throw new Error("boom too");
        },
      },
      auth("ok", true),
    ]);
    expect(manager.authorizePublish(client(), message("t"))).toBe(true);
    expect((await manager.authenticate(client())).accepted).toBe(true);
    const errors = lines.filter((l) => l.level === "error");
    expect(errors.map((l) => l.fields?.plugin)).toEqual(["broken", "broken"]);
    expect(errors.map((l) => l.fields?.hook)).toEqual(["authorizePublish", "authenticate"]);
    expect(String(errors[1]?.fields?.error)).toContain("boom too");
  });

  it("gives up on a hanging hook after the timeout, logs it and counts it as abstaining", async () => {
    vi.useFakeTimers();
    const { manager, lines } = await loaded([{ name: "hangs", authenticate: never }, auth("ok", true)], 1000);
    const answer = manager.authenticate(client());
    await vi.advanceTimersByTimeAsync(1000);
    expect((await answer).accepted).toBe(true);
    expect(lines.find((l) => l.level === "error")?.fields).toMatchObject({
      plugin: "hangs",
      hook: "authenticate",
    });
    expect(String(lines.find((l) => l.level === "error")?.fields?.error)).toContain("PluginTimeoutError");
  });

  it("does not let a hanging denial block authorization forever", async () => {
    vi.useFakeTimers();
    const { manager } = await loaded([{ name: "hangs", authorizeSubscribe: never }], 200);
    const verdict = manager.authorizeSubscribe(client(), "a", 0);
    await vi.advanceTimersByTimeAsync(200);
    expect(await verdict).toBe(true);
  });

  it("ignores a throwing event hook and still calls the other plugins", async () => {
    const seen: string[] = [];
    const { manager, lines } = await loaded([
      {
        name: "broken",
        onClientConnected: () => {
          throw new Error("nope");
        },
      },
      { name: "fine", onClientConnected: (c) => void seen.push(c.clientId) },
    ]);
    manager.fire("onClientConnected", client({ clientId: "x" }));
    expect(seen).toEqual(["x"]);
    expect(lines.some((l) => l.level === "error" && l.fields?.plugin === "broken")).toBe(true);
  });

  it("logs an event hook that rejects later, without the caller waiting", async () => {
    let reject: (e: Error) => void = () => {};
    const { manager, lines } = await loaded([
      { name: "later", onClientSubscribed: () => new Promise<void>((_r, j) => (reject = j)) },
    ]);
    expect(manager.fire("onClientSubscribed", client(), "a/b", 1)).toBeUndefined();
    expect(lines).toEqual([]);
    reject(new Error("late"));
    await vi.waitFor(() => expect(lines.some((l) => l.fields?.plugin === "later")).toBe(true));
  });
});

describe("onPublish chains the plugins' changes", () => {
  const retopic = (name: string, suffix: string): BrokerPlugin => ({
    name,
    onPublish: (_c, m) => ({ ...m, topic: m.topic + suffix }),
  });

  it("passes each plugin the message the previous one returned", async () => {
    const { manager } = await loaded([retopic("a", "/1"), retopic("b", "/2")]);
    expect(manager.onPublish(client(), message("t"))).toMatchObject({ topic: "t/1/2" });
  });

  it("drops the message on null and asks no later plugin", async () => {
    const later = vi.fn();
    const { manager } = await loaded([
      { name: "drop", onPublish: async () => null },
      { name: "later", onPublish: later },
    ]);
    expect(await manager.onPublish(client(), message("t"))).toBeNull();
    expect(later).not.toHaveBeenCalled();
  });

  it("keeps the message as it was when a plugin fails", async () => {
    const { manager } = await loaded([
      {
        name: "broken",
        onPublish: async () => {
          throw new Error("x");
        },
      },
      retopic("b", "/2"),
    ]);
    expect(await manager.onPublish(undefined, message("t"))).toMatchObject({ topic: "t/2" });
  });

  it("returns the very same message when no plugin implements onPublish", async () => {
    const { manager } = await loaded([auth("a", true)]);
    const m = message("t");
    expect(manager.onPublish(client(), m)).toBe(m);
  });
});

describe("lifecycle", () => {
  it("starts plugins in order with their context, passes on the broker's lifecycle events and stops last first", async () => {
    const calls: string[] = [];
    const plugin = (name: string): BrokerPlugin => ({
      name,
      start: (ctx) => void calls.push(`${name}.start(${String(ctx.options.n)})`),
      stop: () => void calls.push(`${name}.stop`),
      onBrokerPreStart: () => void calls.push(`${name}.preStart`),
      onBrokerPostStart: () => void calls.push(`${name}.postStart`),
      onBrokerPreShutdown: () => void calls.push(`${name}.preShutdown`),
      onBrokerPostShutdown: () => void calls.push(`${name}.postShutdown`),
    });
    const manager = new PluginManager({
      plugins: [plugin("a"), plugin("b")],
      logger: recordingLogger(),
      createContext: (name) => context({ n: name }),
    });
    await manager.start();
    manager.fire("onBrokerPreStart");
    manager.fire("onBrokerPostStart");
    manager.fire("onBrokerPreShutdown");
    manager.fire("onBrokerPostShutdown");
    await manager.stop();
    expect(calls).toEqual([
      "a.start(a)",
      "b.start(b)",
      "a.preStart",
      "b.preStart",
      "a.postStart",
      "b.postStart",
      "a.preShutdown",
      "b.preShutdown",
      "a.postShutdown",
      "b.postShutdown",
      "b.stop",
      "a.stop",
    ]);
  });

  it("refuses to start when a plugin's start fails, naming the plugin", async () => {
    const manager = new PluginManager({
      plugins: [{ name: "needs-file", start: async () => Promise.reject(new Error("ENOENT")) }],
      logger: recordingLogger(),
      createContext: () => context(),
    });
    const error = await manager.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginLoadError);
    expect(error).toMatchObject({ plugin: "needs-file", phase: "start" });
  });

  it("wraps a throwing factory in a PluginLoadError", async () => {
    const factory: PluginFactory = () => {
      throw new Error("bad options");
    };
    const manager = new PluginManager({
      plugins: [factory],
      logger: recordingLogger(),
      createContext: () => context(),
    });
    await expect(manager.load()).rejects.toMatchObject({ name: "PluginLoadError", phase: "create" });
  });

  it("creates built-ins from specs with their options", async () => {
    const manager = new PluginManager({
      specs: [
        { name: "anonymous-auth", options: { allow_anonymous: false }, configuredAs: "auth_anonymous" },
        { name: "topic-taboo", options: {}, configuredAs: "topic-taboo" },
      ],
      logger: recordingLogger(),
      createContext: (_name, options) => context(options),
    });
    await manager.start();
    expect(manager.plugins.map((p) => p.name)).toEqual(["anonymous-auth", "topic-taboo"]);
    expect((await manager.authenticate(client())).accepted).toBe(false);
    expect(manager.authorizePublish(client(), message("prohibited"))).toBe(false);
    await manager.stop();
  });

  it("calls reload on the plugins that have it", async () => {
    const reload = vi.fn(async () => {});
    const { manager } = await loaded([{ name: "r", reload } as BrokerPlugin, auth("a", true)]);
    await manager.reload();
    expect(reload).toHaveBeenCalledOnce();
  });
});

describe("the broker core's contract", () => {
  it("is met by PluginManager (checked by the type checker, and here at run time)", async () => {
    const { manager } = await loaded([auth("a", true)]);
    const host: PluginHost = manager;
    expect(await host.authenticate(client())).toEqual({ accepted: true });
  });
});
