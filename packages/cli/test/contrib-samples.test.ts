import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { connectAsync } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAmqtt } from "./helpers/amqtt-process.js";

// aMQTT's contrib plugin configurations, in the shape of aMQTT's docs, run by
// the amqtt binary unchanged (the contrib packages are registered by the command).
const dir = mkdtempSync(join(tmpdir(), "amqtt-contrib-"));
let service: Server;
let servicePort: number;
beforeAll(async () => {
  // The user check accepts alice/secret; the topic check allows everything.
  service = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const fields = JSON.parse(Buffer.concat(chunks).toString() || "{}") as Record<string, unknown>;
    const ok = req.url === "/acl" || (fields.username === "alice" && fields.password === "secret");
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok }));
  });
  await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
  servicePort = (service.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => service.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe("aMQTT's sample contrib configurations start the amqtt command unchanged", () => {
  it("the HTTP auth and topic plugins", async () => {
    const file = join(dir, "http.yaml");
    writeFileSync(
      file,
      `---
listeners:
  default:
    type: tcp
    bind: 127.0.0.1:0
plugins:
  amqtt.plugins.logging_amqtt.EventLoggerPlugin:
  amqtt.contrib.http.UserAuthHttpPlugin:
    host: 127.0.0.1
    port: ${servicePort}
    user_uri: /user
    topic_uri: /acl
    request_method: post
    params_mode: json
    response_mode: json
    user_agent: amqtt
  amqtt.contrib.http.TopicAuthHttpPlugin:
    host: 127.0.0.1
    port: ${servicePort}
    user_uri: /user
    topic_uri: /acl
    request_method: post
    params_mode: json
    response_mode: json
`,
    );
    const { child, ports, exit } = await startAmqtt(
      ["-c", file, "--memory"],
      mkdtempSync(join(dir, "cwd-")),
      1,
    );
    try {
      const url = `mqtt://127.0.0.1:${ports.default}`;
      const client = await connectAsync(url, { reconnectPeriod: 0, username: "alice", password: "secret" });
      await client.endAsync();
      await expect(
        connectAsync(url, { reconnectPeriod: 0, username: "alice", password: "nope" }),
      ).rejects.toThrow(/Not authorized/i);
    } finally {
      child.kill("SIGINT");
    }
    expect(await exit).toBe(0);
  });

  it("the JWT auth and topic plugins, with the claims of aMQTT's docs", async () => {
    const secret = "a secret for the sample configuration";
    const file = join(dir, "jwt.yaml");
    writeFileSync(
      file,
      `---
listeners:
  default:
    type: tcp
    bind: 127.0.0.1:0
plugins:
  amqtt.contrib.jwt.UserAuthJwtPlugin:
    secret_key: "${secret}"
    user_claim: username
    algorithm: HS256
  amqtt.contrib.jwt.TopicAuthJwtPlugin:
    secret_key: "${secret}"
    publish_claim: publish_acl
    subscribe_claim: subscribe_acl
    receive_claim: receive_acl
    algorithm: HS256
`,
    );
    const token = await new SignJWT({
      username: "example_user",
      exp: Math.floor(Date.now() / 1000) + 3600,
      publish_acl: ["my/topic/#", "my/+/other"],
      subscribe_acl: ["my/+/other"],
      receive_acl: ["#"],
    })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode(secret));
    const { child, ports, exit } = await startAmqtt(
      ["-c", file, "--memory"],
      mkdtempSync(join(dir, "cwd-")),
      1,
    );
    try {
      const url = `mqtt://127.0.0.1:${ports.default}`;
      const client = await connectAsync(url, {
        reconnectPeriod: 0,
        username: "example_user",
        password: token,
      });
      expect((await client.subscribeAsync("my/x/other"))[0]?.qos).toBe(0);
      const got = new Promise<string>((r) => client.once("message", (t, p) => r(`${t} ${p}`)));
      await client.publishAsync("my/x/other", "hello", { qos: 1 });
      expect(await got).toBe("my/x/other hello");
      await client.endAsync();
      await expect(
        connectAsync(url, { reconnectPeriod: 0, username: "someone_else", password: token }),
      ).rejects.toThrow(/Not authorized/i);
    } finally {
      child.kill("SIGINT");
    }
    expect(await exit).toBe(0);
  });

  it("the LDAP auth and topic plugins (the directory is down: the broker starts, and refuses the client)", async () => {
    const file = join(dir, "ldap.yaml");
    writeFileSync(
      file,
      `---
listeners:
  default:
    type: tcp
    bind: 127.0.0.1:0
plugins:
  amqtt.contrib.ldap.UserAuthLdapPlugin:
    server: "ldap://127.0.0.1:1"
    base_dn: "dc=amqtt,dc=io"
    user_attribute: "uid"
    bind_dn: "cn=admin,dc=amqtt,dc=io"
    bind_password: "adminpassword"
  amqtt.contrib.ldap.TopicAuthLdapPlugin:
    server: "ldap://127.0.0.1:1"
    base_dn: "dc=amqtt,dc=io"
    user_attribute: "uid"
    bind_dn: "cn=admin,dc=amqtt,dc=io"
    bind_password: "adminpassword"
    publish_attribute: "publishACL"
    subscribe_attribute: "subscribeACL"
    receive_attribute: "receiveACL"
`,
    );
    const { child, ports, exit } = await startAmqtt(
      ["-c", file, "--memory"],
      mkdtempSync(join(dir, "cwd-")),
      1,
    );
    try {
      await expect(
        connectAsync(`mqtt://127.0.0.1:${ports.default}`, {
          reconnectPeriod: 0,
          username: "a",
          password: "b",
        }),
      ).rejects.toThrow(/Not authorized/i);
    } finally {
      child.kill("SIGINT");
    }
    expect(await exit).toBe(0);
  });
});
