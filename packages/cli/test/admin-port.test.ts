// `amqtt --admin-port` opens the admin listener (HTTP API, /metrics, dashboard)
// on loopback; a non-loopback admin listener without credentials does not start.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@amqtt/test-utils";
import { connectAsync } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { runAmqtt, startAmqtt } from "./helpers/amqtt-process.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-cli-admin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("amqtt --admin-port", () => {
  it("serves /healthz and the API on 127.0.0.1, prints the URL, and counts a real client", async () => {
    const adminPort = await freePort();
    const running = await startAmqtt(
      ["--port", "0", "--no-ws", "--memory", "--admin-port", String(adminPort)],
      mkdtempSync(join(dir, "cwd-")),
      1,
    );
    let stdout = "";
    running.child.stdout!.on("data", (d) => (stdout += d));
    const deadline = Date.now() + 10_000;
    while (!stdout.includes("amqtt admin: ") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(stdout).toContain(`amqtt admin: http://127.0.0.1:${adminPort}/`);
    const health = await fetch(`http://127.0.0.1:${adminPort}/healthz`);
    expect(await health.json()).toEqual({ status: "ok" });
    expect(running.stderr()).toMatch(/loopback clients only/);
    const client = await connectAsync(`mqtt://127.0.0.1:${running.port}`, {
      clientId: "cli-admin-seen",
      reconnectPeriod: 0,
    });
    const clients = (await (await fetch(`http://127.0.0.1:${adminPort}/api/v1/clients`)).json()) as {
      items: { clientId: string }[];
    };
    expect(clients.items.map((c) => c.clientId)).toEqual(["cli-admin-seen"]);
    await client.endAsync();
    running.child.kill("SIGINT");
    expect(await running.exit).toBe(0);
  });

  it("refuses a configured admin listener on 0.0.0.0 without credentials, exit code 1, naming the key", async () => {
    const file = join(dir, "open-admin.yaml");
    writeFileSync(
      file,
      `listeners:\n  default:\n    bind: 127.0.0.1:0\n  ops:\n    type: http\n    bind: 0.0.0.0:${await freePort()}\nplugins:\n  anonymous-auth: {}\n`,
    );
    const { code, stderr } = await runAmqtt(["-c", file, "--memory"], mkdtempSync(join(dir, "cwd-")));
    expect(code).toBe(1);
    expect(stderr).toContain("listeners.ops.bind");
    expect(stderr).toContain("no admin credentials are configured");
  });
});
