import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { amqttDocsDefaultConfig } from "@amqtt/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  DEFAULT_MAX_CONNECTIONS,
  defaultLimits,
  loadBrokerConfigFile,
  parseBind,
  parseBrokerConfigYaml,
  resolveBrokerConfig,
} from "../../src/index.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "amqtt-config-"));
  writeFileSync(join(dir, "server.crt"), "not really a certificate");
  writeFileSync(join(dir, "server.key"), "not really a key");
  writeFileSync(join(dir, "passwd"), "alice:$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error("expected a ConfigError");
}

describe("defaults", () => {
  it("an empty configuration gives aMQTT's defaults: one TCP listener on 0.0.0.0:1883 and its default plugins", () => {
    const c = resolveBrokerConfig({});
    expect(c.listeners).toEqual([
      { name: "default", type: "tcp", host: "0.0.0.0", port: 1883, maxConnections: DEFAULT_MAX_CONNECTIONS },
    ]);
    expect(c.plugins.map((p) => [p.name, p.options])).toEqual([
      ["event-logger", {}],
      ["packet-logger", {}],
      ["anonymous-auth", { allow_anonymous: true }],
      ["sys", { sys_interval: 20 }],
    ]);
    expect(c.limits).toEqual(defaultLimits);
    expect(c.sessionExpiryInterval).toBeUndefined();
    expect(c.warnings).toEqual([]);
  });

  it("every queue bound has a finite default", () => {
    const { limits } = resolveBrokerConfig({});
    expect(limits.maxQueuedMessages).toBeGreaterThan(0);
    expect(limits.maxQueuedBytes).toBeGreaterThan(0);
    expect(limits.maxInflightMessages).toBeGreaterThan(0);
    expect(limits.maxPacketSize).toBeLessThan(268_435_460);
  });

  it("bounds the CONNECT at 128 KiB and clients' retained messages at 100,000 / 256 MiB; each key overrides its default", () => {
    const { limits } = resolveBrokerConfig({});
    expect(limits.maxPacketSizeBeforeConnect).toBe(128 * 1024);
    expect(limits.maxPacketSizeBeforeConnect).toBeLessThan(limits.maxPacketSize);
    expect([limits.maxRetainedMessages, limits.maxRetainedBytes]).toEqual([100_000, 256 * 1024 * 1024]);
    const set = resolveBrokerConfig({
      max_packet_size_before_connect: 4096,
      max_retained_messages: 10,
      max_retained_bytes: 1000,
      dollar_topic_publish: "refuse",
    });
    expect(set.limits).toMatchObject({
      maxPacketSizeBeforeConnect: 4096,
      maxRetainedMessages: 10,
      maxRetainedBytes: 1000,
    });
    expect(set.dollarTopicPublish).toBe("refuse");
    const issues = issuesOf(() =>
      resolveBrokerConfig({ max_packet_size_before_connect: 8, max_retained_messages: 0 }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual([
      "max_packet_size_before_connect",
      "max_retained_messages",
    ]);
  });
});

describe("aMQTT configuration files run unchanged", () => {
  it("reads the default configuration of aMQTT's documentation", () => {
    const c = parseBrokerConfigYaml(`\n${amqttDocsDefaultConfig("0.0.0.0:1883")}`);
    expect(c.plugins.map((p) => p.name)).toEqual(["event-logger", "packet-logger", "anonymous-auth", "sys"]);
    expect(c.plugins[0]?.configuredAs).toBe("amqtt.plugins.logging_amqtt.EventLoggerPlugin");
    expect(c.listeners[0]).toMatchObject({ type: "tcp", host: "0.0.0.0", port: 1883 });
  });

  it("reads several listeners with TLS, WebSocket and max_connections, resolving files next to the config", async () => {
    const file = join(dir, "broker.yaml");
    writeFileSync(
      file,
      `
listeners:
  default:
    type: tcp
    bind: 127.0.0.1:1883
    max_connections: 50
  secure:
    bind: 127.0.0.1:8883
    ssl: true
    certfile: server.crt
    keyfile: server.key
  ws-mqtt:
    type: ws
    bind: "[::1]:8080"
  embedded:
    type: external
plugins:
  amqtt.plugins.authentication.FileAuthPlugin:
    password_file: passwd
`,
    );
    const c = await loadBrokerConfigFile(file);
    expect(c.listeners.map((l) => [l.name, l.type, l.host, l.port, l.maxConnections])).toEqual([
      ["default", "tcp", "127.0.0.1", 1883, 50],
      ["secure", "tcp", "127.0.0.1", 8883, 50],
      ["ws-mqtt", "ws", "::1", 8080, 50],
      ["embedded", "external", "0.0.0.0", 1883, 50],
    ]);
    expect(c.listeners[1]?.tls).toEqual({
      certfile: join(dir, "server.crt"),
      keyfile: join(dir, "server.key"),
      requestCert: false,
    });
    expect(c.plugins).toEqual([
      {
        name: "file-auth",
        configuredAs: "amqtt.plugins.authentication.FileAuthPlugin",
        options: { password_file: join(dir, "passwd") },
      },
    ]);
  });

  it("a listener without type is TCP even when default is WebSocket (fixes aMQTT's inheritance QUIRK)", () => {
    const c = resolveBrokerConfig({
      listeners: { default: { type: "ws", bind: "127.0.0.1:9001" }, other: { bind: "127.0.0.1:1884" } },
    });
    expect(c.listeners.map((l) => [l.name, l.type])).toEqual([
      ["default", "ws"],
      ["other", "tcp"],
    ]);
  });

  it("a WebSocket bind without a port gets 8080, not 8883 (fixes aMQTT's QUIRK)", () => {
    const c = resolveBrokerConfig({ listeners: { default: { type: "ws", bind: "127.0.0.1" } } });
    expect(c.listeners[0]?.port).toBe(8080);
  });

  it("translates the deprecated auth and topic-check sections into plugins", () => {
    const c = parseBrokerConfigYaml(
      `
listeners:
  default:
    type: tcp
    bind: 127.0.0.1:1883
sys_interval: 10
auth:
  allow-anonymous: false
  password-file: passwd
  plugins:
    - auth_file
    - auth_anonymous
topic-check:
  enabled: true
  plugins:
    - topic_acl
  acl:
    alice: ["a/#"]
  publish-acl:
    alice: ["a/b"]
`,
      { baseDir: dir },
    );
    expect(c.plugins.map((p) => [p.name, p.options])).toEqual([
      ["event-logger", {}],
      ["packet-logger", {}],
      ["file-auth", { password_file: join(dir, "passwd") }],
      ["anonymous-auth", { allow_anonymous: false }],
      ["topic-acl", { acl: { alice: ["a/#"] }, publish_acl: { alice: ["a/b"] } }],
      ["sys", { sys_interval: 10 }],
    ]);
    expect(c.warnings.join("\n")).toContain("deprecated");
  });

  it("reads the older documentation's file: entry-point names under plugins take options from auth", () => {
    const c = parseBrokerConfigYaml(`
listeners:
  default:
    type: tcp
    bind: 0.0.0.0:1883
sys_interval: 20
auth:
  allow-anonymous: true
plugins:
  - auth_file
  - auth_anonymous
`);
    expect(c.plugins.map((p) => [p.name, p.options])).toEqual([
      ["file-auth", {}],
      ["anonymous-auth", { allow_anonymous: true }],
    ]);
    expect(c.warnings.some((w) => w.includes("no password_file"))).toBe(true);
  });

  it("a topic-check section that is not enabled adds no topic plugin", () => {
    const c = resolveBrokerConfig({ "topic-check": { enabled: false, plugins: ["topic_taboo"] } });
    expect(c.plugins.map((p) => p.name)).not.toContain("topic-taboo");
  });

  it("the ACL plugin accepts subscribe_acl and receive_acl (fixes aMQTT's QUIRK that rejects them)", () => {
    const c = resolveBrokerConfig({
      plugins: {
        "amqtt.plugins.topic_checking.TopicAccessControlListPlugin": {
          acl: { bob: ["x/#"] },
          subscribe_acl: { bob: ["x/+"] },
          receive_acl: { anonymous: ["public/#"] },
        },
        "amqtt.plugins.authentication.AnonymousAuthPlugin": null,
      },
    });
    expect(c.plugins[0]?.options).toEqual({
      acl: { bob: ["x/#"] },
      subscribe_acl: { bob: ["x/+"] },
      receive_acl: { anonymous: ["public/#"] },
    });
    expect(c.plugins[1]?.options).toEqual({ allow_anonymous: true });
  });

  it("warns that qos1_puback_timeout is ignored, because dropping unacknowledged messages breaks QoS 1", () => {
    const c = resolveBrokerConfig({ qos1_puback_timeout: 5 });
    expect(c.warnings.some((w) => w.startsWith("qos1_puback_timeout is ignored"))).toBe(true);
  });

  it("warns when no authentication plugin is configured, since every connection is then refused", () => {
    const c = resolveBrokerConfig({ plugins: { "amqtt.plugins.topic_checking.TopicTabooPlugin": {} } });
    expect(c.warnings.some((w) => w.includes("no authentication plugin"))).toBe(true);
  });

  it("accepts a user plugin module by path", () => {
    const c = resolveBrokerConfig({ plugins: { "./plugins/my-auth.js": { realm: "x" } } });
    expect(c.plugins[0]).toEqual({
      name: "module",
      specifier: "./plugins/my-auth.js",
      options: { realm: "x" },
      configuredAs: "./plugins/my-auth.js",
    });
  });
});

describe("errors name the key path and what was expected", () => {
  it("an unknown key, with a hint for aMQTT's hyphenated spellings", () => {
    const issues = issuesOf(() =>
      resolveBrokerConfig({ listeners: { default: { type: "tcp", "max-connections": 5 } } }),
    );
    expect(issues).toEqual([
      {
        path: "listeners.default",
        message:
          'unknown key "max-connections" (aMQTT spells these keys with underscores: "max_connections")',
      },
    ]);
  });

  it("a wrong type says what it expected and what it got", () => {
    const issues = issuesOf(() =>
      resolveBrokerConfig({ listeners: { default: { max_connections: "ten" } }, sys_interval: -1 }),
    );
    expect(issues).toContainEqual({
      path: "listeners.default.max_connections",
      message: 'expected number, got string "ten"',
    });
    expect(issues).toContainEqual({ path: "sys_interval", message: "must be at least 0" });
  });

  it("a listener type outside tcp, ws, external and http", () => {
    expect(issuesOf(() => resolveBrokerConfig({ listeners: { default: { type: "udp" } } }))).toEqual([
      { path: "listeners.default.type", message: 'expected one of "tcp", "ws", "external", "http"' },
    ]);
  });

  it("TLS without its files, a missing file, and a bad port, all reported at once", () => {
    const issues = issuesOf(() =>
      resolveBrokerConfig(
        {
          listeners: {
            default: { bind: "127.0.0.1:99999" },
            a: { bind: "127.0.0.1:1", ssl: true },
            b: { bind: "127.0.0.1:2", certfile: "missing.crt", keyfile: "server.key" },
          },
        },
        { baseDir: dir },
      ),
    );
    expect(issues).toEqual([
      { path: "listeners.default.bind", message: 'port "99999" is not a number from 0 to 65535' },
      { path: "listeners.a.ssl", message: "ssl needs certfile and keyfile" },
      { path: "listeners.b.certfile", message: `file not found: ${join(dir, "missing.crt")}` },
    ]);
  });

  it("two listeners on the same address", () => {
    const issues = issuesOf(() =>
      resolveBrokerConfig({
        listeners: { default: { bind: "127.0.0.1:1883" }, b: { bind: "127.0.0.1:1883" } },
      }),
    );
    expect(issues).toEqual([
      { path: "listeners.b.bind", message: '127.0.0.1:1883 is already used by listener "default"' },
    ]);
  });

  it("an unknown plugin, an aMQTT contrib plugin, and bad plugin options", () => {
    const issues = issuesOf(() =>
      resolveBrokerConfig({
        plugins: {
          "amqtt.plugins.nothing.Here": {},
          "amqtt.contrib.ldap.UserAuthLdapPlugin": { server: "x" },
          "amqtt.plugins.authentication.AnonymousAuthPlugin": { allow_anonymous: "yes" },
          "amqtt.plugins.sys.broker.BrokerSysPlugin": { interval: 3 },
        },
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      "plugins.amqtt.plugins.nothing.Here",
      "plugins.amqtt.contrib.ldap.UserAuthLdapPlugin",
      "plugins.amqtt.plugins.authentication.AnonymousAuthPlugin.allow_anonymous",
      "plugins.amqtt.plugins.sys.broker.BrokerSysPlugin",
    ]);
    expect(issues[1]?.message).toContain("provided by @amqtt/contrib-ldap, which is not registered");
    expect(issues[2]?.message).toBe('expected boolean, got string "yes"');
    expect(issues[3]?.message).toBe('unknown key "interval"');
  });

  it("YAML syntax errors carry the line", () => {
    const issues = issuesOf(() => parseBrokerConfigYaml("listeners:\n  default: [unclosed\n"));
    expect(issues[0]?.message).toMatch(/^line \d+, column \d+: /);
  });

  it("a file that is not a mapping", () => {
    expect(issuesOf(() => parseBrokerConfigYaml("- a\n- b\n"))).toEqual([
      { path: "", message: "expected a mapping at the top of the file" },
    ]);
  });

  it("the error message lists every issue with its path", () => {
    try {
      resolveBrokerConfig({ listeners: { default: { type: "udp" } } }, { file: "broker.yaml" });
    } catch (err) {
      expect((err as Error).message).toBe(
        'invalid configuration broker.yaml:\n  - listeners.default.type: expected one of "tcp", "ws", "external", "http"',
      );
      return;
    }
    throw new Error("expected a ConfigError");
  });
});

describe("bind", () => {
  it.each([
    ["", 1883, { host: "0.0.0.0", port: 1883 }],
    ["1884", 1883, { host: "0.0.0.0", port: 1884 }],
    [":1885", 1883, { host: "0.0.0.0", port: 1885 }],
    ["localhost:1886", 1883, { host: "localhost", port: 1886 }],
    ["127.0.0.1", 8080, { host: "127.0.0.1", port: 8080 }],
    ["[::1]:1887", 1883, { host: "::1", port: 1887 }],
    ["[::]", 1883, { host: "::", port: 1883 }],
  ])("parses %j", (bind, port, expected) => {
    expect(parseBind(bind, port, "bind")).toEqual(expected);
  });

  it("refuses an unbracketed IPv6 address", () => {
    expect(parseBind("::1:1883", 1883, "x.bind")).toMatchObject({ path: "x.bind" });
  });
});

describe("the admin listener (issue 16)", () => {
  it("reads a type: http listener (default port 9090) and the admin section, without opening it in the broker", () => {
    const config = resolveBrokerConfig({
      listeners: { default: { bind: "127.0.0.1:1883" }, admin: { type: "http", bind: "127.0.0.1" } },
      admin: { metrics_public: true },
    });
    expect(config.listeners.find((l) => l.name === "admin")).toMatchObject({
      type: "http",
      host: "127.0.0.1",
      port: 9090,
    });
    expect(config.admin).toEqual({ passwordFile: undefined, tokensFile: undefined, metricsPublic: true });
  });

  it("an admin listener inherits no TLS from the MQTT default listener", () => {
    const config = resolveBrokerConfig({
      listeners: {
        default: { bind: "127.0.0.1:8883", max_connections: 5 },
        admin: { type: "http", bind: "127.0.0.1:9091" },
      },
    });
    expect(config.listeners.find((l) => l.name === "admin")?.tls).toBeUndefined();
  });

  it("names a missing admin credential file by its key", () => {
    expect(() => resolveBrokerConfig({ admin: { password_file: "/nonexistent/admin.passwd" } })).toThrow(
      /admin\.password_file/,
    );
  });
});
