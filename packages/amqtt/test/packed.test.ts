import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// The published shape, proven: pack every package the meta package needs (as
// `pnpm publish` would: workspace and catalog ranges replaced, publishConfig
// applied), install the tarballs into a scratch project with npm, and use them.

const packages = join(import.meta.dirname, "..", "..");
/** This package and every workspace package it depends on at run time, found from the package.json files. */
function runtimeClosure(folder: string, seen = new Set<string>()): Set<string> {
  if (seen.has(folder)) return seen;
  seen.add(folder);
  const manifest = JSON.parse(readFileSync(join(packages, folder, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  for (const [name, range] of Object.entries(manifest.dependencies ?? {}))
    if (range.startsWith("workspace:")) runtimeClosure(name.replace(/^@amqtt\//, ""), seen);
  return seen;
}
const needed = [...runtimeClosure("amqtt")];
const scratch = mkdtempSync(join(tmpdir(), "amqtt-packed-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the packed amqtt meta package", () => {
  it('installs from its tarballs with npm and runs a broker and a client from `import ... from "amqtt"`', () => {
    const tarballs = join(scratch, "tarballs");
    for (const name of needed) {
      execFileSync("pnpm", ["pack", "--pack-destination", tarballs], {
        cwd: join(packages, name),
        stdio: "ignore",
      });
    }
    const files = readdirSync(tarballs);
    const dependencies: Record<string, string> = {};
    for (const file of files) {
      // Tarballs are named like amqtt-broker-0.1.0.tgz (scope folded in) and amqtt-0.1.0.tgz.
      const base = file.replace(/-\d+\.\d+\.\d+\.tgz$/, "");
      const packageName = base === "amqtt" ? "amqtt" : `@amqtt/${base.slice("amqtt-".length)}`;
      dependencies[packageName] = `file:./tarballs/${file}`;
    }
    writeFileSync(
      join(scratch, "package.json"),
      JSON.stringify({
        name: "scratch",
        private: true,
        type: "module",
        dependencies,
        overrides: dependencies,
      }),
    );
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: scratch,
      stdio: "ignore",
    });
    writeFileSync(
      join(scratch, "main.mjs"),
      `import { ApplicationMessage, Broker, MQTTClient, PacketType, silentLogger } from "amqtt";
const broker = new Broker({ listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } } }, { logger: silentLogger });
await broker.start();
const { port } = broker.addresses()[0];
const client = new MQTTClient({ clientId: "packed" });
await client.connect("mqtt://127.0.0.1:" + port);
await client.subscribe([["packed/#", 1]]);
await client.publish("packed/t", new TextEncoder().encode("it works"), { qos: 1 });
const message = await client.deliverMessage({ timeout: 5 });
await client.disconnect();
await broker.stop();
console.log(JSON.stringify({ topic: message.topic, data: new TextDecoder().decode(message.data), isMessage: message instanceof ApplicationMessage, publish: PacketType.PUBLISH }));
`,
    );
    const out = execFileSync(process.execPath, ["main.mjs"], { cwd: scratch, encoding: "utf8" });
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({
      topic: "packed/t",
      data: "it works",
      isMessage: true,
      publish: 3,
    });
  }, 180_000);
});
