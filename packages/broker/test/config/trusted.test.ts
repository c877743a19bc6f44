// `trusted: true` (the amqtt command's embedded defaults) skips the schema pass and
// zod; what it resolves must be exactly what the validated pass resolves.
import { describe, expect, it } from "vitest";
import { type BrokerConfigInput, ConfigError, resolveBrokerConfig } from "../../src/index.js";

const embedded: BrokerConfigInput = {
  listeners: {
    default: { type: "tcp", bind: "127.0.0.1:1883" },
    ws: { type: "ws", bind: "127.0.0.1:8080" },
  },
  plugins: {
    "event-logger": {},
    "packet-logger": {},
    "anonymous-auth": { allow_anonymous: true },
    sys: { sys_interval: 20 },
  },
};

describe("resolveBrokerConfig with trusted input", () => {
  const inputs: [string, BrokerConfigInput, { clusterEngine?: string }][] = [
    ["the embedded defaults", embedded, {}],
    [
      "without the ws listener, on ::1 port 0",
      { ...embedded, listeners: { default: { type: "tcp", bind: "[::1]:0" } } },
      {},
    ],
    ["with a cluster engine URL", embedded, { clusterEngine: "redis://127.0.0.1:6379/0" }],
    // Plugin option defaults (allow_anonymous, sys_interval) come from the same table in both passes.
    [
      "plugins without options",
      { ...embedded, plugins: { "anonymous-auth": {}, sys: {}, "event-logger": null } },
      {},
    ],
    [
      "aMQTT's SessionDBPlugin",
      {
        ...embedded,
        plugins: { ...embedded.plugins, "amqtt.contrib.persistence.SessionDBPlugin": { file: "s.db" } },
      },
      {},
    ],
  ];
  for (const [what, input, options] of inputs)
    it(`resolves ${what} as the validated pass does`, () => {
      const trusted = resolveBrokerConfig(input, { ...options, trusted: true, baseDir: "/srv" });
      expect(trusted).toEqual(resolveBrokerConfig(input, { ...options, baseDir: "/srv" }));
    });

  it("leaves the caller's object as it was (the SessionDB plugin is taken out of a copy)", () => {
    const input: BrokerConfigInput = {
      plugins: { "anonymous-auth": {}, "amqtt.contrib.persistence.SessionDBPlugin": { file: "s.db" } },
    };
    const before = structuredClone(input);
    resolveBrokerConfig(input, { trusted: true });
    expect(input).toEqual(before);
  });

  it("still runs the resolver's own checks: a bad bind is a ConfigError naming its path", () => {
    const input: BrokerConfigInput = {
      ...embedded,
      listeners: { default: { type: "tcp", bind: "127.0.0.1:99999" } },
    };
    expect(() => resolveBrokerConfig(input, { trusted: true })).toThrow(ConfigError);
    try {
      resolveBrokerConfig(input, { trusted: true });
    } catch (error) {
      expect((error as ConfigError).issues.map((i) => i.path)).toEqual(["listeners.default.bind"]);
    }
  });
});
