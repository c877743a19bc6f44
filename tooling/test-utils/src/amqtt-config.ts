import { writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The default broker configuration of aMQTT's documentation, as YAML, with its
 * listener on `bind`: tests prove such files run unchanged (parsed, and by the CLI).
 */
export function amqttDocsDefaultConfig(bind: string): string {
  return `---
listeners:
  default:
    type: tcp
    bind: ${bind}
timeout_disconnect_delay: 0
plugins:
  amqtt.plugins.logging_amqtt.EventLoggerPlugin:
  amqtt.plugins.logging_amqtt.PacketLoggerPlugin:
  amqtt.plugins.authentication.AnonymousAuthPlugin:
    allow_anonymous: true
  amqtt.plugins.sys.broker.BrokerSysPlugin:
    sys_interval: 20
`;
}

/**
 * An aMQTT configuration (YAML) with one TCP listener, `default`, on `bind`
 * (default: a free loopback port) and `plugins`: the lines under `plugins:`
 * as an aMQTT user writes them (plugin names indented by two spaces).
 */
export function amqttConfigWithPlugins(plugins: string, bind = "127.0.0.1:0"): string {
  return `listeners:\n  default:\n    type: tcp\n    bind: ${bind}\nplugins:\n${plugins}`;
}

/** Write {@link amqttConfigWithPlugins}`(plugins)` to `amqtt.yaml` in `dir`; returns the file's path. */
export function writeAmqttConfig(dir: string, plugins: string): string {
  const file = join(dir, "amqtt.yaml");
  writeFileSync(file, amqttConfigWithPlugins(plugins));
  return file;
}
