import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker, ConfigError, parseBrokerConfigYaml, silentLogger } from "@amqtt/broker";
import {
  amqttConfigWithPlugins,
  expectAliceTopicLists,
  mosquittoPub,
  withMqttClient,
} from "@amqtt/test-utils";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { pluginDefinitions } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-jwt-"));
const SECRET = "a shared secret of enough length for HS256";
let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let broker: Broker | undefined;

beforeAll(async () => {
  rsa = await generateKeyPair("RS256", { extractable: true });
  writeFileSync(join(dir, "secret.txt"), `${SECRET}\n`);
  writeFileSync(join(dir, "public.pem"), await exportSPKI(rsa.publicKey));
  writeFileSync(
    join(dir, "jwks.json"),
    JSON.stringify({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: "k1", alg: "RS256" }] }),
  );
});
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const now = () => Math.floor(Date.now() / 1000);

function hs(claims: Record<string, unknown>, alg = "HS256", secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
}
function rs(claims: Record<string, unknown>, kid?: string): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", ...(kid === undefined ? {} : { kid }) })
    .sign(rsa.privateKey);
}
/** An unsigned token (`alg: none`), built by hand as an attacker would. */
function unsigned(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`;
}

/** Start a broker from aMQTT-style YAML (with this package registered); returns its port. */
async function start(pluginsYaml: string): Promise<number> {
  const config = parseBrokerConfigYaml(amqttConfigWithPlugins(pluginsYaml), {
    baseDir: dir,
    pluginDefinitions,
  });
  broker = new Broker(config, { logger: silentLogger });
  await broker.start();
  return broker.addresses()[0]!.port;
}

const userPlugin = (keyLines = `    secret_key: "${SECRET}"\n`, algorithm = "HS256") =>
  `  amqtt.contrib.jwt.UserAuthJwtPlugin:\n${keyLines}    user_claim: sub\n    algorithm: ${algorithm}\n`;
const topicPlugin = (keyLines = `    secret_key: "${SECRET}"\n`) =>
  `  amqtt.contrib.jwt.TopicAuthJwtPlugin:\n${keyLines}    publish_claim: pub\n    subscribe_claim: sub_topics\n    receive_claim: recv\n`;

/** Connect with mosquitto_pub (user name and the token as password); true when it could publish. */
async function mosquittoConnects(port: number, username: string, token: string): Promise<boolean> {
  return (await mosquittoPub(port, { user: username, password: token })).code === 0;
}

describe("the JWT user plugin: the password is the token", () => {
  it("accepts a valid HS256 token whose user claim is the user name", async () => {
    const port = await start(userPlugin());
    expect(await mosquittoConnects(port, "alice", await hs({ sub: "alice", exp: now() + 60 }))).toBe(true);
  });

  it.each([
    ["an expired token", () => hs({ sub: "alice", exp: now() - 10 })],
    ["a token not valid yet (nbf)", () => hs({ sub: "alice", nbf: now() + 3600 })],
    ["a token naming another user", () => hs({ sub: "bob" })],
    ["a token without the user claim", () => hs({ name: "alice" })],
    ["a token signed with another secret", () => hs({ sub: "alice" }, "HS256", "not the secret at all, no")],
    ["a token with another algorithm than configured (HS512)", () => hs({ sub: "alice" }, "HS512")],
    ["an unsigned token (alg none)", async () => unsigned({ sub: "alice" })],
    ["a password that is not a token", async () => "hunter2"],
  ])("refuses %s", async (_what, token) => {
    const port = await start(userPlugin());
    expect(await mosquittoConnects(port, "alice", await token())).toBe(false);
  });

  it("honours the configured algorithm: RS256 with a public key file", async () => {
    const port = await start(userPlugin("    public_key_file: public.pem\n", "RS256"));
    expect(await mosquittoConnects(port, "alice", await rs({ sub: "alice" }))).toBe(true);
    expect(await mosquittoConnects(port, "alice", await hs({ sub: "alice" }))).toBe(false);
  });

  it("refuses an HS256 token signed with the RS256 public key (algorithm confusion)", async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const port = await start(userPlugin("    public_key_file: public.pem\n", "RS256"));
    expect(await mosquittoConnects(port, "alice", await hs({ sub: "alice" }, "HS256", pem))).toBe(false);
  });

  it("reads a JWKS file and picks the key by kid", async () => {
    const port = await start(userPlugin("    jwks_file: jwks.json\n", "RS256"));
    expect(await mosquittoConnects(port, "alice", await rs({ sub: "alice" }, "k1"))).toBe(true);
    expect(await mosquittoConnects(port, "alice", await rs({ sub: "alice" }, "k2"))).toBe(false);
  });

  it("reads the secret from secret_key_file (its final newline is not part of it)", async () => {
    const port = await start(userPlugin("    secret_key_file: secret.txt\n"));
    expect(await mosquittoConnects(port, "alice", await hs({ sub: "alice" }))).toBe(true);
  });
});

describe("the JWT options", () => {
  function issues(yaml: string): string[] {
    try {
      parseBrokerConfigYaml(`plugins:\n${yaml}`, { baseDir: dir, pluginDefinitions });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    }
    return [];
  }

  it("refuse algorithm none", () => {
    expect(issues(userPlugin(undefined, "none"))).toEqual([
      "plugins.amqtt.contrib.jwt.UserAuthJwtPlugin.algorithm: unsigned tokens (alg none) are never accepted",
    ]);
  });

  it("refuse no key, two keys, a missing file, and an HMAC algorithm with a public key", () => {
    expect(issues(userPlugin("")).join()).toContain("give exactly one key");
    expect(issues(userPlugin(`    secret_key: x\n    secret_key_file: secret.txt\n`)).join()).toContain(
      "got secret_key, secret_key_file",
    );
    expect(issues(userPlugin("    public_key_file: missing.pem\n", "RS256")).join()).toContain(
      "file not found",
    );
    expect(issues(userPlugin("    public_key_file: public.pem\n", "HS256")).join()).toContain(
      "needs a shared secret",
    );
  });
});

describe("the JWT topic plugin: allowed filters from the token's claims", () => {
  it("lets a client publish, subscribe and receive only what its claims allow", async () => {
    const port = await start(userPlugin() + topicPlugin());
    const token = await hs({
      sub: "alice",
      pub: ["sensors/alice/#", "sensors/bob/#"],
      sub_topics: ["sensors/#"],
      recv: ["sensors/alice/#", "sensors/carol/#"],
    });
    await withMqttClient(port, { username: "alice", password: token }, async (client) => {
      await expectAliceTopicLists(client);
    });
  });

  it("denies everything to a token without the claims", async () => {
    const port = await start(userPlugin() + topicPlugin());
    await withMqttClient(
      port,
      { username: "alice", password: await hs({ sub: "alice" }) },
      async (client) => {
        await expect(client.subscribeAsync("a")).rejects.toThrow(/Unspecified error/);
      },
    );
  });
});
