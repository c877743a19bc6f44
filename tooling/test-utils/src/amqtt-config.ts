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
