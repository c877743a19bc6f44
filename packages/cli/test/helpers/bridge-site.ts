// A site broker whose one bridge reaches a real mosquitto through an MqttProxy
// (which can drop chosen packets), for the bridge's QoS 2 crash tests.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, startMosquitto } from "@amqtt/test-utils";
import { killAmqtt, type RunningAmqtt, startAmqtt } from "./amqtt-process.js";
import { MqttProxy } from "./mqtt-proxy.js";

/** What {@link startBridgedSite} started; every part is stopped by the cleanups it was given. */
export interface BridgedSite {
  remote: Awaited<ReturnType<typeof startMosquitto>>;
  proxy: MqttProxy;
  sitePort: number;
  /** The site's config file and data folder, to start it again after a kill. */
  config: string;
  state: string;
  first: RunningAmqtt;
}

/**
 * Start mosquitto, a proxy in front of it, and `amqtt` with one persistent
 * bridge `central` (MQTT `level`, `clientId`) with the given topic line, in `cwd`.
 */
export async function startBridgedSite(
  cleanups: { add(stop: () => unknown): void },
  cwd: string,
  level: 4 | 5,
  clientId: string,
  topic: string,
): Promise<BridgedSite> {
  const remote = await startMosquitto({ config: ["allow_anonymous true", "persistence false"] });
  cleanups.add(() => remote.stop());
  const proxy = await MqttProxy.start(remote.port);
  cleanups.add(() => proxy.stop());
  const sitePort = await freePort();
  const config = join(cwd, "site.yaml");
  writeFileSync(
    config,
    `listeners:
  default:
    type: tcp
    bind: 127.0.0.1:${sitePort}
plugins:
  anonymous-auth: {}
bridges:
  - name: central
    address: 127.0.0.1:${proxy.port}
    protocol_version: ${level}
    client_id: ${clientId}
    clean_start: false
    restart_timeout: [0.05, 0.2]
    topics:
      - ${topic}
`,
  );
  const state = join(cwd, "state");
  const first = await startAmqtt(["-c", config, "--data-dir", state], cwd);
  cleanups.add(() => killAmqtt(first));
  return { remote, proxy, sitePort, config, state, first };
}
