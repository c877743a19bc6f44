// The config file of a cluster node in the cli tests: one TCP listener on a free
// port, anonymous clients, and the sections the test gives.
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Write `amqtt.yaml` (JSON is YAML) in a new folder under `dir`; `sections` add to or replace `plugins`. */
export function clusterConfigFile(dir: string, sections: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(dir, "cfg-")), "amqtt.yaml");
  writeFileSync(
    file,
    JSON.stringify({
      listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } },
      plugins: { "anonymous-auth": { allow_anonymous: true } },
      ...sections,
    }),
  );
  return file;
}
