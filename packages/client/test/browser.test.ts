import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromiumPath, chromiumTestArgs } from "@amqtt/test-utils";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { onCleanup, startOurBroker } from "./helpers/brokers.js";

const entry = join(import.meta.dirname, "..", "src", "index.ts");

/** The client's main entry bundled for browsers, as a bundler would (source condition for sibling packages). */
async function browserBundle() {
  return build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["@amqtt/source"],
    write: false,
    metafile: true,
    logLevel: "silent",
  });
}

describe("the browser build", () => {
  it("bundles with no Node built-in module (the TCP dialer stays out)", async () => {
    const result = await browserBundle();
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.includes("transport-ws"))).toBe(true);
    expect(
      inputs.filter((i) => i.startsWith("node:") || i.includes("transport-tcp") || i.endsWith("src/node.ts")),
    ).toEqual([]);
    const code = result.outputFiles[0]?.text ?? "";
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:|import\(["']node:/);
  });

  it("publishes and receives through our broker over ws:// in headless Chromium", async () => {
    const { wsUrl } = await startOurBroker({ ws: true });
    const result = await browserBundle();
    const bundle = result.outputFiles[0]?.text ?? "";
    const page = `<!doctype html><script type="module">
      import { MQTTClient } from "/client.js";
      window.run = async (url) => {
        const client = new MQTTClient({ clientId: "browser-1", config: { protocolVersion: 5 } });
        const code = await client.connect(url);
        const granted = await client.subscribe([["web/#", 2]]);
        await client.publish("web/hello", "from chromium", { qos: 2 });
        const m = await client.deliverMessage({ timeout: 5 });
        await client.disconnect();
        return { code, granted, topic: m.topic, text: new TextDecoder().decode(m.data), hasProcess: typeof process !== "undefined" };
      };
      window.ready = true;
    </script>`;
    const server = createServer((req, res) => {
      if (req.url === "/client.js") {
        res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      } else res.writeHead(200, { "content-type": "text/html" }).end(page);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const profile = mkdtempSync(join(tmpdir(), "amqtt-client-chromium-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ["--headless", ...chromiumTestArgs],
    });
    onCleanup(async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    });
    const tab = await context.newPage();
    await tab.goto(`http://127.0.0.1:${port}/`);
    await tab.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
    const outcome = await tab.evaluate(
      (url) => (globalThis as unknown as { run(u: string): Promise<unknown> }).run(url),
      wsUrl as string,
    );
    expect(outcome).toEqual({
      code: 0,
      granted: [2],
      topic: "web/hello",
      text: "from chromium",
      hasProcess: false,
    });
  });
});
