import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Broker, ConfigError, parseBrokerConfigYaml, silentLogger } from "@amqtt/broker";
import {
  amqttConfigWithPlugins,
  expectAliceTopicLists,
  mosquittoPub,
  withMqttClient,
} from "@amqtt/test-utils";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { pluginDefinitions } from "../src/index.js";
import { BASE_DN, READER_DN, READER_PASSWORD, Slapd } from "./slapd.js";

let slapd: Slapd;
let broker: Broker | undefined;

// Users with topic lists in the multi-valued attributes of a small custom schema.
const USERS = `dn: ou=people,${BASE_DN}
objectClass: organizationalUnit
ou: people

dn: uid=alice,ou=people,${BASE_DN}
objectClass: inetOrgPerson
objectClass: mqttUser
uid: alice
cn: Alice
sn: A
userPassword: {hash:alice-pw}
mqttPublish: sensors/alice/#
mqttPublish: sensors/bob/#
mqttSubscribe: sensors/#
mqttReceive: sensors/alice/#
mqttReceive: sensors/carol/#

dn: uid=bob,ou=people,${BASE_DN}
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: B
userPassword: {hash:bob-pw}

dn: uid=twin,ou=people,${BASE_DN}
objectClass: inetOrgPerson
uid: twin
cn: Twin 1
sn: T
userPassword: {hash:twin-pw}

dn: cn=twin2,ou=people,${BASE_DN}
objectClass: inetOrgPerson
uid: twin
cn: twin2
sn: T
userPassword: {hash:twin-pw}
`;

beforeAll(async () => {
  slapd = await Slapd.start(USERS);
  writeFileSync(join(slapd.dir, "reader.pw"), `${READER_PASSWORD}\n`);
}, 60_000);
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});
afterAll(() => slapd?.stop());

const connection = (server = slapd.url, extra = "") =>
  `    server: "${server}"\n    base_dn: "${BASE_DN}"\n    user_attribute: uid\n    bind_dn: "${READER_DN}"\n    bind_password_file: reader.pw\n${extra}`;
const userPlugin = (server?: string, extra?: string) =>
  `  amqtt.contrib.ldap.UserAuthLdapPlugin:\n${connection(server, extra)}`;
const topicPlugin = () =>
  `  amqtt.contrib.ldap.TopicAuthLdapPlugin:\n${connection()}    publish_attribute: mqttPublish\n    subscribe_attribute: mqttSubscribe\n    receive_attribute: mqttReceive\n`;

async function start(plugins: string): Promise<number> {
  const config = parseBrokerConfigYaml(amqttConfigWithPlugins(plugins), {
    baseDir: slapd.dir,
    pluginDefinitions,
  });
  broker = new Broker(config, { logger: silentLogger });
  await broker.start();
  return broker.addresses()[0]!.port;
}

async function mosquittoConnects(port: number, username: string, password: string): Promise<boolean> {
  return (await mosquittoPub(port, { user: username, password: password })).code === 0;
}

describe("the LDAP user plugin binds as the user to check the password (against slapd)", () => {
  it("accepts the right password and refuses a wrong one, an unknown user and an empty password", async () => {
    const port = await start(userPlugin());
    expect(await mosquittoConnects(port, "alice", "alice-pw")).toBe(true);
    expect(await mosquittoConnects(port, "alice", "bob-pw")).toBe(false);
    expect(await mosquittoConnects(port, "nobody", "x")).toBe(false);
    expect(await mosquittoConnects(port, "alice", "")).toBe(false);
  });

  it("refuses a user name that would change the search filter, and one matching several entries", async () => {
    const port = await start(userPlugin());
    expect(await mosquittoConnects(port, "*", "alice-pw")).toBe(false);
    expect(await mosquittoConnects(port, "alice)(uid=*", "alice-pw")).toBe(false);
    expect(await mosquittoConnects(port, "twin", "twin-pw")).toBe(false);
  });

  it("works over LDAPS with the test CA", async () => {
    const port = await start(userPlugin(slapd.tlsUrl, "    ca_file: ca.crt\n"));
    expect(await mosquittoConnects(port, "alice", "alice-pw")).toBe(true);
    expect(await mosquittoConnects(port, "alice", "wrong")).toBe(false);
  });

  it("works with StartTLS on the ldap:// port", async () => {
    const port = await start(userPlugin(slapd.url, "    start_tls: true\n    ca_file: ca.crt\n"));
    expect(await mosquittoConnects(port, "bob", "bob-pw")).toBe(true);
  });

  it("denies over LDAPS when the server's certificate is not trusted", async () => {
    const port = await start(userPlugin(slapd.tlsUrl));
    expect(await mosquittoConnects(port, "alice", "alice-pw")).toBe(false);
  });

  it("denies when the directory is unreachable, within the timeout", async () => {
    const port = await start(userPlugin("ldap://127.0.0.1:1", "    timeout: 1\n"));
    expect(await mosquittoConnects(port, "alice", "alice-pw")).toBe(false);
  });
});

describe("the LDAP topic plugin reads the topic lists from the user's attributes", () => {
  it("lets alice publish, subscribe and receive only what her entry allows", async () => {
    const port = await start(userPlugin() + topicPlugin());
    await withMqttClient(port, { username: "alice", password: "alice-pw" }, async (client) => {
      await expectAliceTopicLists(client);
    });
  });

  it("denies a user without topic attributes", async () => {
    const port = await start(userPlugin() + topicPlugin());
    await withMqttClient(port, { username: "bob", password: "bob-pw" }, async (client) => {
      await expect(client.subscribeAsync("sensors/#")).rejects.toThrow(/Unspecified error/);
    });
  });
});

describe("the LDAP options", () => {
  it("refuse a server that is not an LDAP URL, two passwords, and StartTLS on ldaps://", () => {
    const messages = (plugins: string) => {
      try {
        parseBrokerConfigYaml(`plugins:\n${plugins}`, { baseDir: slapd.dir, pluginDefinitions });
        return [];
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).issues.map((i) => i.message);
      }
    };
    expect(messages(userPlugin("http://x")).join()).toContain("expected an ldap:// or ldaps:// URL");
    expect(messages(userPlugin(undefined, "    bind_password: x\n")).join()).toContain(
      "exactly one of bind_password",
    );
    expect(messages(userPlugin(slapd.tlsUrl, "    start_tls: true\n")).join()).toContain("StartTLS");
  });
});
