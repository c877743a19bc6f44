import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { consoleLogger } from "@amqtt/broker";
import { type ClientConfigInput, MQTTClient } from "@amqtt/client";
import { parse as parseYaml } from "yaml";
import { UsageError } from "./command-line.js";
import { type Command, InvalidArgumentError, Option } from "./commander.js";

// The options amqtt_pub and amqtt_sub share: aMQTT's spellings, plus Mosquitto's
// common ones (-h, -p, -u, -P, -V) so both kinds of users feel at home.

/** Parsed connection options of amqtt_pub / amqtt_sub. */
export interface ClientCommandOptions {
  url?: string;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  protocolVersion: 4 | 5;
  configFile?: string;
  clientId?: string;
  qos: 0 | 1 | 2;
  keepAlive?: number;
  cleanSession?: boolean;
  caFile?: string;
  caPath?: string;
  caData?: string;
  willTopic?: string;
  willMessage?: string;
  willQos: 0 | 1 | 2;
  willRetain?: boolean;
  extraHeaders?: Record<string, string>;
  debug?: boolean;
}

function int(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be ${min}..${max}`);
    return n;
  };
}

function headersJson(value: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError("expected a JSON object of header names to values");
  }
  if (
    parsed === null ||
    typeof parsed !== "object" ||
    Array.isArray(parsed) ||
    Object.values(parsed).some((v) => typeof v !== "string")
  )
    throw new InvalidArgumentError("expected a JSON object of header names to string values");
  return parsed as Record<string, string>;
}

function protocol(value: string): 4 | 5 {
  if (["5", "mqttv5", "v5"].includes(value)) return 5;
  if (["4", "311", "mqttv311", "v311", "3.1.1"].includes(value)) return 4;
  throw new InvalidArgumentError("expected 311 (mqttv311) or 5 (mqttv5)");
}

/** Add the shared options to `command`. */
export function addClientOptions(command: Command): Command {
  return command
    .option("--url <url>", "broker URL: mqtt[s]|ws[s]://[user:password@]host[:port][/path]")
    .option("-h, --host <host>", "broker host (Mosquitto style; default 127.0.0.1)")
    .option("-p, --port <port>", "broker port (Mosquitto style)", int("port", 1, 65535))
    .option("-u, --username <name>", "user name")
    .option("-P, --password <password>", "password")
    .addOption(
      new Option("-V, --protocol-version <version>", "311 or 5").argParser(protocol).default(4, "311"),
    )
    .option("-c, --config-file <file>", "aMQTT client configuration (YAML)")
    .option("-i, --client-id <id>", "client identifier")
    .addOption(new Option("-q, --qos <qos>", "QoS 0, 1 or 2").argParser(int("QoS", 0, 2)).default(0))
    .option("-k, --keep-alive <seconds>", "keep alive in seconds", int("keep alive", 0, 65535))
    .option("--clean-session", "start a clean session")
    .option("--ca-file <file>", "trusted CA certificates (PEM file)")
    .option("--ca-path <dir>", "folder of trusted CA certificates")
    .option("--ca-data <pem>", "trusted CA certificates as PEM text")
    .option("--will-topic <topic>", "will topic")
    .option("--will-message <text>", "will message")
    .addOption(new Option("--will-qos <qos>", "will QoS").argParser(int("will QoS", 0, 2)).default(0))
    .option("--will-retain", "retain the will")
    .option("--extra-headers <json>", "extra HTTP headers for ws:// and wss:// as a JSON object", headersJson)
    .option("-d, --debug", "print connection events on stderr, and the log of the configured client plugins")
    .helpOption("--help", "show this help")
    .showHelpAfterError();
}

/** The broker URL from --url or the Mosquitto-style pieces. */
export function brokerUrl(o: ClientCommandOptions): string {
  if (o.url !== undefined) {
    if (o.host !== undefined || o.port !== undefined)
      throw new UsageError("give either --url or -h/-p, not both");
    return o.url;
  }
  const url = new URL(`mqtt://${o.host ?? "127.0.0.1"}:${o.port ?? 1883}`);
  if (o.username !== undefined) url.username = encodeURIComponent(o.username);
  if (o.password !== undefined) url.password = encodeURIComponent(o.password);
  return url.toString();
}

/** The client configuration: the YAML file (if any) with the command line on top. */
export async function clientConfig(o: ClientCommandOptions): Promise<ClientConfigInput> {
  let config: Record<string, unknown> = {};
  if (o.configFile !== undefined) {
    const data: unknown = parseYaml(await readFile(o.configFile, "utf8"));
    if (data !== null && (typeof data !== "object" || Array.isArray(data)))
      throw new UsageError(`${o.configFile}: expected a mapping`);
    config = { ...(data as Record<string, unknown>) };
  }
  // -d is aMQTT's debug logging: the client's plugins (the packet logger) write to stderr.
  if (o.debug) config.logger ??= consoleLogger("debug", "amqtt.client");
  if (o.keepAlive !== undefined) config.keep_alive = o.keepAlive;
  if (o.cleanSession !== undefined) config.cleansession = o.cleanSession;
  config.auto_reconnect ??= false;
  if (o.protocolVersion === 5) config.protocolVersion = 5;
  if ((o.willTopic === undefined) !== (o.willMessage === undefined))
    throw new UsageError("--will-topic and --will-message go together");
  if (o.willTopic !== undefined)
    config.will = {
      topic: o.willTopic,
      message: o.willMessage,
      qos: o.willQos,
      retain: o.willRetain ?? false,
    };
  return config as ClientConfigInput;
}

/** The options of `MQTTClient.connect` from the command line: trusted CAs and WebSocket headers. */
export function connectOptions(o: ClientCommandOptions): {
  cafile?: string;
  capath?: string;
  cadata?: string;
  additionalHeaders?: Record<string, string>;
} {
  const out: ReturnType<typeof connectOptions> = {};
  if (o.caFile !== undefined) out.cafile = o.caFile;
  if (o.caPath !== undefined) out.capath = o.caPath;
  if (o.caData !== undefined) out.cadata = o.caData;
  if (o.extraHeaders !== undefined) out.additionalHeaders = o.extraHeaders;
  return out;
}

/** A client made from the command line and connected to its broker (`tool` names the default client id). */
export async function connectedClient(o: ClientCommandOptions, tool: string): Promise<MQTTClient> {
  const url = brokerUrl(o);
  const client = new MQTTClient({
    clientId: o.clientId ?? defaultClientId(tool),
    config: await clientConfig(o),
  });
  await client.connect(url, connectOptions(o));
  return client;
}

/** aMQTT's default client id: `<tool>/<pid>-<hostname>`. */
export function defaultClientId(tool: string): string {
  return `${tool}/${process.pid}-${hostname()}`.slice(0, 65535);
}
