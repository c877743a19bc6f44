import { ConnackReturnCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  Broker,
  ConfigError,
  definePlugin,
  type PluginDefinition,
  parseBrokerConfigYaml,
  resolveBrokerConfig,
  silentLogger,
} from "../../src/index.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";

// A definition as a contrib package writes one: options by zod schema, an
// authentication plugin that accepts one password taken from its options.
interface SharedSecretOptions {
  secret: string;
  timeout: number;
}
const sharedSecretDefinition: PluginDefinition<SharedSecretOptions> = {
  name: "shared-secret",
  aliases: ["amqtt.contrib.example.SharedSecretPlugin"],
  authenticates: true,
  options: z.strictObject({ secret: z.string().min(1), timeout: z.number().positive().default(5) }),
  create: (options) => ({
    name: "shared-secret",
    authenticate: (client) =>
      client.password !== undefined && Buffer.from(client.password).toString() === options.secret,
  }),
};
const sharedSecret = definePlugin(sharedSecretDefinition);

// A definition validated by a function, resolving a file path against the config's folder.
const withFile = definePlugin<{ file: string }>({
  name: "with-file",
  aliases: ["amqtt.contrib.example.FilePlugin"],
  options: (raw, { baseDir }) => {
    const file = (raw as { file?: unknown }).file;
    if (typeof file !== "string") return { issues: [{ path: "file", message: "expected a file path" }] };
    return { options: { file: `${baseDir}/${file}` } };
  },
  create: () => ({ name: "with-file" }),
});

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error("expected a ConfigError");
}

describe("the plugin registry", () => {
  it("resolves a registered definition by its aMQTT dotted class name, with its options validated and defaulted", () => {
    const config = resolveBrokerConfig(
      { plugins: { "amqtt.contrib.example.SharedSecretPlugin": { secret: "s3" } } },
      { pluginDefinitions: [sharedSecret] },
    );
    expect(config.plugins).toHaveLength(1);
    expect(config.plugins[0]).toMatchObject({
      name: "shared-secret",
      configuredAs: "amqtt.contrib.example.SharedSecretPlugin",
      options: { secret: "s3", timeout: 5 },
    });
    expect(config.plugins[0]?.definition).toBe(sharedSecret);
  });

  it("reports bad options of a registered plugin with their key paths", () => {
    const issues = issuesOf(() =>
      resolveBrokerConfig(
        {
          plugins: {
            "shared-secret": { secret: "", colour: 1 },
            "amqtt.contrib.example.FilePlugin": {},
          },
        },
        { pluginDefinitions: [sharedSecret, withFile] },
      ),
    );
    expect(issues).toEqual([
      { path: "plugins.shared-secret.secret", message: "must be at least 1" },
      { path: "plugins.shared-secret", message: 'unknown key "colour"' },
      { path: "plugins.amqtt.contrib.example.FilePlugin.file", message: "expected a file path" },
    ]);
  });

  it("gives a validate function the folder of the configuration file", () => {
    const config = parseBrokerConfigYaml(
      "plugins:\n  amqtt.contrib.example.FilePlugin:\n    file: keys.json\n",
      { baseDir: "/etc/amqtt", pluginDefinitions: [withFile] },
    );
    expect(config.plugins[0]?.options).toEqual({ file: "/etc/amqtt/keys.json" });
  });

  it("refuses a definition whose name clashes with a built-in or another definition", () => {
    const clash = definePlugin({ ...sharedSecretDefinition, name: "other", aliases: ["shared-secret"] });
    const builtin = definePlugin({ ...sharedSecretDefinition, name: "topic-acl", aliases: [] });
    expect(
      issuesOf(() => resolveBrokerConfig({}, { pluginDefinitions: [sharedSecret, clash] }))[0]?.message,
    ).toBe('plugin definitions "shared-secret" and "other" both use the name "shared-secret"');
    expect(issuesOf(() => resolveBrokerConfig({}, { pluginDefinitions: [builtin] }))[0]?.message).toBe(
      'plugin definition "topic-acl" uses the built-in name "topic-acl"',
    );
  });

  it("names the package that provides an aMQTT contrib plugin that is not registered", () => {
    const issues = issuesOf(() =>
      resolveBrokerConfig({ plugins: { "amqtt.contrib.http.UserAuthHttpPlugin": {} } }),
    );
    expect(issues[0]?.message).toContain("@amqtt/contrib-http");
  });

  it.each([
    ["amqtt.contrib.django.plugins.DjangoAuthPlugin", "amqtt.contrib.auth_db.UserAuthDBPlugin"],
    ["amqtt.contrib.django.plugins.UserTopicACLPlugin", "amqtt.contrib.auth_db.TopicAuthDBPlugin"],
  ])("refuses aMQTT's Django plugin %s and names %s as its replacement", (name, replacement) => {
    const issues = issuesOf(() => resolveBrokerConfig({ plugins: { [name]: { token_model: "x" } } }));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe(`plugins.${name}`);
    expect(issues[0]?.message).toContain("Django");
    expect(issues[0]?.message).toContain(replacement);
  });

  it("does not warn that nothing authenticates when a registered plugin does", () => {
    const config = resolveBrokerConfig(
      { plugins: { "shared-secret": { secret: "s" } } },
      { pluginDefinitions: [sharedSecret] },
    );
    expect(config.warnings.filter((w) => w.includes("no authentication plugin"))).toEqual([]);
  });

  it("runs a registered plugin in a broker: the right password connects, a wrong one is refused", async () => {
    const broker = await startMemoryBroker(
      { plugins: { "amqtt.contrib.example.SharedSecretPlugin": { secret: "open sesame" } } },
      { pluginDefinitions: [sharedSecret] },
    );
    const password = (secret: string) => ({ username: "u", password: new TextEncoder().encode(secret) });
    const right = MqttPeer.open(broker, { version: 4 });
    right.connect("right", password("open sesame"));
    expect((await right.expect("connack")).reasonCode).toBe(ConnackReturnCode.ACCEPTED);
    const wrong = MqttPeer.open(broker, { version: 4 });
    wrong.connect("wrong", password("wrong"));
    // 3.1.1 CONNACK return code 5: not authorized [MQTT-3.2.2-5].
    expect((await wrong.expect("connack")).reasonCode).toBe(ConnackReturnCode.NOT_AUTHORIZED);
    await wrong.expectClosed();
  });

  it("tells a plugin the hook timeout, so a remote check can give up before the broker stops waiting", async () => {
    const seen: number[] = [];
    const probe = definePlugin<Record<string, never>>({
      name: "probe",
      aliases: [],
      options: z.strictObject({}),
      create: (_options, context) => {
        seen.push(context.hookTimeoutMs);
        return { name: "probe" };
      },
    });
    for (const pluginTimeoutMs of [undefined, 1234]) {
      const b = new Broker(
        {
          listeners: {},
          plugins: { probe: {}, "anonymous-auth": {} },
        },
        {
          pluginDefinitions: [probe],
          logger: silentLogger,
          ...(pluginTimeoutMs === undefined ? {} : { pluginTimeoutMs }),
        },
      );
      await b.start();
      await b.stop();
    }
    expect(seen).toEqual([5000, 1234]);
  });
});
