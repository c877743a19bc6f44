import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { debianBinary } from "./mosquitto.js";
import { freePort, waitForPort } from "./ports.js";

const run = promisify(execFile);

/** A running Debian `redis-server`, started by {@link startRedis}. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Its temporary folder (config, AOF, RDB). */
  readonly dir: string;
  /** The current process id (changes on {@link RedisServer.restart}). */
  pid(): number;
  /** What it wrote to stdout/stderr so far. */
  log(): string;
  /** Send a signal to the process (`SIGSTOP`/`SIGCONT` to stall it, `SIGKILL` to crash it). */
  signal(name: NodeJS.Signals): void;
  /** Kill it (SIGKILL) and start it again on the same port and folder (AOF/RDB replayed). */
  restart(): Promise<void>;
  /** Kill it by PID (SIGKILL, after SIGCONT) and remove its folder; safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startRedis}. */
export interface RedisOptions {
  /** The port (default: a free one). */
  port?: number;
  /** Turn on the append-only file (`appendonly yes`, `appendfsync always` unless `config` says otherwise). */
  appendOnly?: boolean;
  /** Extra `redis.conf` lines. */
  config?: string[];
}

function spawnRedis(conf: string, onOutput: (s: string) => void): ChildProcess {
  const child = spawn(debianBinary("redis-server"), [conf], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => onOutput(d.toString()));
  child.stderr?.on("data", (d: Buffer) => onOutput(d.toString()));
  return child;
}

async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGCONT");
  child.kill("SIGKILL");
  await exited;
}

/** Start Debian's `redis-server` on loopback in a temp folder and wait until it listens. The caller stops it. */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "amqtt-redis-"));
  const conf = join(dir, "redis.conf");
  const lines = [
    `port ${port}`,
    "bind 127.0.0.1",
    "protected-mode yes",
    `dir ${dir}`,
    "save ''",
    "daemonize no",
    ...(options.appendOnly ? ["appendonly yes", "appendfsync always"] : ["appendonly no"]),
    ...(options.config ?? []),
  ];
  writeFileSync(conf, `${lines.join("\n")}\n`);
  let output = "";
  const onOutput = (s: string) => {
    output += s;
  };
  let child = spawnRedis(conf, onOutput);
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    pid: () => child.pid ?? -1,
    log: () => output,
    signal: (name) => {
      child.kill(name);
    },
    restart: async () => {
      await killed(child);
      child = spawnRedis(conf, onOutput);
      await waitForPort(port, () => output);
    },
    stop: async () => {
      await killed(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitForPort(port, () => output);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** A Redis Cluster of masters, started by {@link startRedisCluster}. */
export interface RedisClusterServers {
  /** The nodes, each a {@link RedisServer} started in cluster mode. */
  readonly nodes: readonly RedisServer[];
  /** `{ host, port }` of every node (what `ioredis`' `Cluster` takes). */
  readonly startupNodes: readonly { host: string; port: number }[];
  /** Stop every node; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Start `count` (at least 3) `redis-server`s in cluster mode and join them with
 * `redis-cli --cluster create` (masters only), then wait until the cluster says `ok`.
 */
export async function startRedisCluster(count = 3): Promise<RedisClusterServers> {
  const nodes: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < count; i++)
      nodes.push(
        await startRedis({
          config: [
            "cluster-enabled yes",
            "cluster-config-file nodes.conf",
            "cluster-node-timeout 5000",
            // The bus port defaults to port + 10000, past 65535 for a high free port
            // (Redis then refuses to start): a free port of its own instead.
            `cluster-port ${await freePort()}`,
          ],
        }),
      );
    const cli = debianBinary("redis-cli");
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    await run(cli, ["--cluster", "create", ...addresses, "--cluster-replicas", "0", "--cluster-yes"]);
    for (let attempt = 0; ; attempt++) {
      const { stdout } = await run(cli, ["-p", String(nodes[0]?.port), "cluster", "info"]);
      if (stdout.includes("cluster_state:ok")) break;
      if (attempt > 100) throw new Error(`the Redis Cluster did not become ok:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, startupNodes: nodes.map((n) => ({ host: "127.0.0.1", port: n.port })), stop };
}
