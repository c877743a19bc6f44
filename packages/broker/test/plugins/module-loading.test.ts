import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { PluginSpec } from "../../src/config/plugins.js";
import { PluginLoadError, PluginManager } from "../../src/plugins/index.js";
import { client, context, message, recordingLogger } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-plugins-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, source: string): string {
  writeFileSync(join(dir, name), source);
  return name;
}

write(
  "factory.mjs",
  `export default function create(context) {
     return { name: "deny-topic", authorizePublish: (_c, m) => m.topic !== context.options.denied };
   }`,
);
write("object.mjs", `export default { name: "accept-all", authenticate: () => true };`);
write("no-default.mjs", `export const plugin = { name: "x" };`);
write("syntax-error.mjs", `export default {`);

function manager(specifier: string, options: Record<string, unknown> = {}) {
  const spec: PluginSpec = { name: "module", specifier, options, configuredAs: specifier };
  return new PluginManager({
    specs: [spec],
    logger: recordingLogger(),
    createContext: (_name, opts) => context(opts),
    baseDir: dir,
  });
}

describe("plugin modules are loaded with import()", () => {
  it("calls a default-exported factory with the plugin's options", async () => {
    const m = manager("./factory.mjs", { denied: "no" });
    await m.start();
    expect(m.authorizePublish(client(), message("no"))).toBe(false);
    expect(m.authorizePublish(client(), message("yes"))).toBe(true);
  });

  it("uses a default-exported plugin object as it is", async () => {
    const m = manager(join(dir, "object.mjs"));
    await m.start();
    expect(await m.authenticate(client())).toEqual({ accepted: true });
  });

  it("accepts file: URLs", async () => {
    const m = manager(pathToFileURL(join(dir, "object.mjs")).href);
    await m.load();
    expect(m.plugins.map((p) => p.name)).toEqual(["accept-all"]);
  });

  it.each([
    ["a module without a default export", "./no-default.mjs", "no default export"],
    ["a missing module", "./missing.mjs", "cannot import"],
    ["a module that does not parse", "./syntax-error.mjs", "cannot import"],
  ])("refuses %s with a PluginLoadError naming it", async (_title, specifier, text) => {
    const error = await manager(specifier)
      .load()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginLoadError);
    expect(error).toMatchObject({ plugin: specifier, phase: "import" });
    expect((error as Error).message).toContain(text);
  });
});
