import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Broker, type Logger, type LogLevel, loadBrokerConfigFile } from "@amqtt/broker";
import mqtt from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ACC, pluginDefinitions } from "../src/index.js";
import { type SeenRequest, TestService } from "./service.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "amqtt-http-"));
let service: TestService;
let broker: Broker | undefined;
const logs: { level: LogLevel; message: string; fields?: Record<string, unknown> }[] = [];

function logger(): Logger {
  const at = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    logs.push({ level, message, ...(fields === undefined ? {} : { fields }) });
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: () => logger(),
  };
}

/** The test service's rules: alice/secret may connect; topics under allowed/ only. */
function rules(request: SeenRequest) {
  const f = request.fields;
  if (request.path === "/user")
    return { status: 200, body: JSON.stringify({ ok: f.username === "alice" && f.password === "secret" }) };
  return { status: 200, body: JSON.stringify({ ok: String(f.topic).startsWith("allowed/") }) };
}

beforeAll(async () => {
  service = await TestService.start();
});
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
  service.decide = rules;
  service.release();
});
afterAll(async () => {
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Start a broker from aMQTT-style YAML written to a file, with this package's plugins registered. */
async function brokerFrom(yaml: string, pluginTimeoutMs?: number): Promise<number> {
  const file = join(dir, `broker-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  const config = await loadBrokerConfigFile(file, { pluginDefinitions });
  broker = new Broker(config, {
    logger: logger(),
    ...(pluginTimeoutMs === undefined ? {} : { pluginTimeoutMs }),
  });
  await broker.start();
  return broker.addresses()[0]!.port;
}

function yaml(
  extra = "",
  plugins = ["amqtt.contrib.http.UserAuthHttpPlugin", "amqtt.contrib.http.TopicAuthHttpPlugin"],
) {
  const body = plugins
    .map(
      (p) =>
        `  ${p}:\n    host: 127.0.0.1\n    port: ${service.port}\n    user_uri: /user\n    topic_uri: /acl\n    request_method: post\n    params_mode: json\n    response_mode: json\n${extra}`,
    )
    .join("");
  return `listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:0\nplugins:\n${body}`;
}

/** mosquitto_pub's exit code and stderr. */
async function mosquittoPub(port: number, args: string[]): Promise<{ code: number; err: string }> {
  try {
    await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(port), "-i", "pub-1", ...args]);
    return { code: 0, err: "" };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, err: e.stderr };
  }
}

describe("the HTTP plugins in a broker, with mosquitto_pub connecting", () => {
  it("connects the user the service accepts and refuses a wrong password, sending username, password and client_id", async () => {
    service.decide = rules;
    const port = await brokerFrom(yaml());
    expect(
      (await mosquittoPub(port, ["-u", "alice", "-P", "secret", "-t", "allowed/a", "-m", "hi"])).code,
    ).toBe(0);
    const refused = await mosquittoPub(port, ["-u", "alice", "-P", "wrong", "-t", "allowed/a", "-m", "hi"]);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/not authori[sz]ed/i);
    const users = service.seen.filter((r) => r.path === "/user").slice(-2);
    expect(users.map((r) => r.fields)).toEqual([
      { username: "alice", password: "secret", client_id: "pub-1" },
      { username: "alice", password: "wrong", client_id: "pub-1" },
    ]);
    expect(users.every((r) => r.method === "POST" && r.userAgent === "amqtt")).toBe(true);
  });

  it("asks the topic service with aMQTT's acc values (4 subscribe, 2 publish, 1 receive) and delivers only what it allows", async () => {
    service.decide = rules;
    const port = await brokerFrom(yaml());
    const sub = await mqtt.connectAsync({
      host: "127.0.0.1",
      port,
      username: "alice",
      password: "secret",
      clientId: "sub-1",
    });
    try {
      expect((await sub.subscribeAsync("allowed/#"))[0]?.qos).toBe(0);
      // 3.1.1 SUBACK 0x80 for the refused filter [MQTT-3.9.3-2]; mqtt.js rejects on it.
      await expect(sub.subscribeAsync("denied/#")).rejects.toThrow(/Unspecified error/);
      const received = new Promise<string>((resolve) =>
        sub.once("message", (topic, payload) => resolve(`${topic} ${payload}`)),
      );
      expect(
        (await mosquittoPub(port, ["-u", "alice", "-P", "secret", "-t", "denied/x", "-m", "no"])).code,
      ).toBe(0);
      expect(
        (await mosquittoPub(port, ["-u", "alice", "-P", "secret", "-t", "allowed/x", "-m", "yes"])).code,
      ).toBe(0);
      expect(await received).toBe("allowed/x yes");
      const acl = service.seen
        .filter((r) => r.path === "/acl")
        .map((r) => `${r.fields.client_id} ${r.fields.topic} ${r.fields.acc}`);
      expect(acl).toEqual(
        expect.arrayContaining([
          `sub-1 allowed/# ${ACC.subscribe}`,
          `sub-1 denied/# ${ACC.subscribe}`,
          `pub-1 denied/x ${ACC.publish}`,
          `pub-1 allowed/x ${ACC.publish}`,
          `sub-1 allowed/x ${ACC.receive}`,
        ]),
      );
      expect(ACC).toEqual({ receive: 1, publish: 2, subscribe: 4 });
    } finally {
      await sub.endAsync(true);
    }
  });

  it("refuses a CONNECT when the service is slow, within the timeout, and logs it without the password", async () => {
    service.decide = () => "hang";
    const port = await brokerFrom(
      yaml("    timeout: 0.3\n", ["amqtt.contrib.http.UserAuthHttpPlugin"]),
      10_000,
    );
    const refused = await mosquittoPub(port, ["-u", "alice", "-P", "secret", "-t", "a", "-m", "hi"]);
    expect(refused.code).not.toBe(0);
    const warning = logs.find((l) => l.level === "warn" && l.message.includes("(timeout)"));
    expect(warning).toBeDefined();
    expect(JSON.stringify(warning)).not.toContain("secret");
  });

  it("refuses a CONNECT when the service is down, and logs it", async () => {
    const gone = await TestService.start();
    const port0 = gone.port;
    await gone.stop();
    const port = await brokerFrom(
      yaml("", ["amqtt.contrib.http.UserAuthHttpPlugin"]).replaceAll(
        `port: ${service.port}`,
        `port: ${port0}`,
      ),
    );
    expect((await mosquittoPub(port, ["-u", "alice", "-P", "secret", "-t", "a", "-m", "hi"])).code).not.toBe(
      0,
    );
    expect(logs.some((l) => l.level === "warn" && l.message.includes("(unreachable)"))).toBe(true);
  });

  it("denies a publish when the topic service fails (5xx in status mode)", async () => {
    service.decide = (r) => (r.path === "/user" ? { status: 200 } : { status: 503 });
    const port = await brokerFrom(yaml().replaceAll("response_mode: json", "response_mode: status"));
    const sub = await mqtt.connectAsync({ host: "127.0.0.1", port, username: "alice", password: "secret" });
    try {
      // SUBACK 0x80 [MQTT-3.9.3-2]: mqtt.js rejects on it.
      await expect(sub.subscribeAsync("allowed/#")).rejects.toThrow(/Unspecified error/);
    } finally {
      await sub.endAsync(true);
    }
  });

  it("gives up before the broker's plugin timeout, so a slow topic service denies instead of abstaining", async () => {
    service.decide = (r) => (r.path === "/user" ? { status: 200, body: '{"ok": true}' } : "hang");
    // timeout 5 s (aMQTT's default) with a 400 ms plugin timeout: the request must end first.
    const port = await brokerFrom(yaml(), 400);
    const sub = await mqtt.connectAsync({ host: "127.0.0.1", port, username: "alice", password: "secret" });
    try {
      // SUBACK 0x80 [MQTT-3.9.3-2]: mqtt.js rejects on it.
      await expect(sub.subscribeAsync("allowed/#")).rejects.toThrow(/Unspecified error/);
    } finally {
      await sub.endAsync(true);
    }
  });

  it("with cache_ttl, asks the service once for the same CONNECT", async () => {
    service.decide = rules;
    const port = await brokerFrom(yaml("    cache_ttl: 60\n", ["amqtt.contrib.http.UserAuthHttpPlugin"]));
    const before = service.seen.length;
    for (let i = 0; i < 3; i++)
      expect((await mosquittoPub(port, ["-u", "alice", "-P", "secret", "-t", "a", "-m", "hi"])).code).toBe(0);
    expect(service.seen.length - before).toBe(1);
  });
});
