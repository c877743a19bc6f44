import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { amqttConfigWithPlugins, makeTempDir } from "@amqtt/test-utils";
import {
  type RedisClusterServers,
  type RedisServer,
  startRedis,
  startRedisCluster,
} from "@amqtt/test-utils/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killAmqtt } from "./helpers/amqtt-process.js";
import { outageClients, publishUntilClosed, qos0Through } from "./helpers/store-outage.js";
import { client, fill, fillThenKill, runToExit, start, stopAmqtt, whatSurvived } from "./helpers/survival.js";

// `amqtt -c config.yaml` with `persistence: { store: redis, ... }`: a real
// redis-server (and a Redis Cluster of 3) started here on free loopback ports,
// stopped by PID; the real `amqtt` process; MQTT.js clients. A persistent
// session with a queued message, and a retained message, survive the broker.

const tmp = makeTempDir("amqtt-cli-redis-");
afterAll(tmp.remove);

/** A config with anonymous clients and `persistence` lines, in a folder of its own. */
function configWith(persistence: string[]): string {
  const folder = mkdtempSync(join(tmp.path, "cfg-"));
  const plugins = "  amqtt.plugins.authentication.AnonymousAuthPlugin:\n    allow_anonymous: true";
  const file = join(folder, "broker.yaml");
  writeFileSync(
    file,
    `${amqttConfigWithPlugins(plugins)}\npersistence:\n${persistence.map((l) => `  ${l}`).join("\n")}\n`,
  );
  return file;
}

const cwd = () => mkdtempSync(join(tmp.path, "run-"));
const SURVIVED = ["r/kept=retained (retained)", "t/queued=waiting"];

describe("amqtt with store: redis on one redis-server (password in a file)", () => {
  let redis: RedisServer;
  const password = "redis-pw-5f3a";
  let passwordFile: string;
  beforeAll(async () => {
    redis = await startRedis({ appendOnly: true, config: [`requirepass ${password}`] });
    passwordFile = join(mkdtempSync(join(tmp.path, "secret-")), "redis-password");
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("keeps a persistent session's queued message and a retained message across a graceful restart, and logs no password", async () => {
    const config = configWith([
      "store: redis",
      `redis: "redis://127.0.0.1:${redis.port}/0"`,
      `password_file: ${passwordFile}`,
      'key_prefix: "graceful:"',
    ]);
    const first = await fill(["-c", config], cwd());
    expect(await stopAmqtt(first)).toBe(0);
    expect(first.stderr()).toContain("state kept in Redis");
    const second = await start(["-c", config], cwd());
    expect(await whatSurvived(second.port)).toEqual(SURVIVED);
    await killAmqtt(second);
    expect(first.stderr() + second.stderr()).not.toContain(password);
  });

  it("keeps what was acknowledged across SIGKILL of the broker, the password in the URL logged as ***", async () => {
    const config = configWith([
      `redis: "redis://:${password}@127.0.0.1:${redis.port}"`,
      'key_prefix: "killed:"',
    ]);
    const dir = cwd();
    await fillThenKill(["-c", config], dir);
    const second = await start(["-c", config], dir);
    expect(await whatSurvived(second.port)).toEqual(SURVIVED);
    await killAmqtt(second);
    expect(second.stderr()).toContain(`redis://:***@127.0.0.1:${redis.port}`);
    expect(second.stderr()).not.toContain(password);
  });

  it("keeps brokers with different key prefixes apart", async () => {
    const filled = configWith([
      `redis: "redis://:${password}@127.0.0.1:${redis.port}"`,
      'key_prefix: "one:"',
    ]);
    const other = configWith([`redis: "redis://:${password}@127.0.0.1:${redis.port}"`, 'key_prefix: "two:"']);
    await fillThenKill(["-c", filled], cwd());
    const second = await start(["-c", other], cwd());
    expect(await whatSurvived(second.port)).toEqual([]);
    await killAmqtt(second);
  });

  it("refuses to start when Redis does not accept the password, without printing it", async () => {
    const config = configWith([`redis: "redis://:not-the-pw-77@127.0.0.1:${redis.port}"`]);
    const { code, stderr } = await runToExit(["-c", config], cwd());
    expect(code).toBe(1);
    expect(stderr).toContain("Broker failed to start");
    expect(stderr).toContain(`cannot reach Redis at redis://:***@127.0.0.1:${redis.port}`);
    expect(stderr).not.toContain("not-the-pw-77");
  });
});

describe("amqtt with store: redis on a Redis Cluster of 3 (cluster_nodes)", () => {
  let cluster: RedisClusterServers;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it("keeps what was acknowledged across SIGKILL of the broker", async () => {
    const nodes = cluster.nodes.map((n) => `"redis://127.0.0.1:${n.port}"`).join(", ");
    const config = configWith([`cluster_nodes: [${nodes}]`]);
    const dir = cwd();
    await fillThenKill(["-c", config], dir);
    const second = await start(["-c", config], dir);
    expect(await whatSurvived(second.port)).toEqual(SURVIVED);
    expect(second.stderr()).toContain("state kept in Redis Cluster");
    await killAmqtt(second);
  });
});

describe("amqtt with store: redis when Redis stalls (SIGSTOP, then SIGCONT)", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis({ appendOnly: true });
  });
  afterAll(async () => {
    redis?.signal("SIGCONT");
    await redis?.stop();
  });

  it("acknowledges no QoS 1 message it cannot store, keeps QoS 0 flowing, and stores again after SIGCONT without a restart", async () => {
    const config = configWith([`redis: "redis://127.0.0.1:${redis.port}"`]);
    const broker = await start(["-c", config], cwd());
    const { listener, publisher } = await outageClients(broker.port);

    redis.signal("SIGSTOP");
    // The offline session's message cannot be stored: no PUBACK, the publisher is closed (it resends later).
    const acked = publishUntilClosed(publisher, "stalled");
    expect(await qos0Through(broker.port, listener)).toBe("still here");
    expect(await acked).toBe(false);

    redis.signal("SIGCONT");
    const again = await client(broker.port);
    await again.publishAsync("t/queued", "after", { qos: 1 }); // resolves on PUBACK
    expect(broker.child.exitCode).toBeNull();
    const back = await client(broker.port, { clientId: "keeper", clean: false });
    const delivered: string[] = [];
    back.on("message", (_t, p) => delivered.push(String(p)));
    await expect.poll(() => delivered.includes("after"), { timeout: 10_000 }).toBe(true);
    await killAmqtt(broker);
  }, 60_000);
});
