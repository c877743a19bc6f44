import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mosquittoPub, writeAmqttConfig } from "@amqtt/test-utils";
import { describe, expect, it } from "vitest";
import { killAmqtt, startAmqtt } from "./helpers/amqtt-process.js";

// `user_mgr` installed with the `amqtt` command, and `amqtt -c` running aMQTT's
// database-auth configuration unchanged: add a user with the tool, connect with it.

const dist = join(import.meta.dirname, "..", "dist");

function run(
  bin: string,
  args: string[],
  input: string,
  cwd: string,
): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [join(dist, bin), ...args], { cwd, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  child.stdin.end(input);
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, out })));
}

describe("user_mgr with the amqtt command", () => {
  it("adds a user to the SQLite database that amqtt -c uses through aMQTT's UserAuthDBPlugin", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amqtt-cli-db-"));
    writeAmqttConfig(
      dir,
      `  amqtt.contrib.auth_db.UserAuthDBPlugin:
    connection: sqlite+aiosqlite:///auth.db
    sync_schema: true
`,
    );
    const broker = await startAmqtt(["-c", "amqtt.yaml"], dir);
    try {
      expect((await mosquittoPub(broker.port, { user: "hana", password: "hana-pw" })).code).not.toBe(0);
      const added = await run(
        "user-mgr-bin.js",
        ["-d", "sqlite", "-f", "auth.db", "add", "-c", "hana"],
        "hana-pw\n",
        dir,
      );
      expect(added).toMatchObject({ code: 0, out: expect.stringContaining("Success: created 'hana'") });
      expect((await mosquittoPub(broker.port, { user: "hana", password: "hana-pw" })).code).toBe(0);
      const removed = await run(
        "user-mgr-bin.js",
        ["-d", "sqlite", "-f", "auth.db", "rm", "-c", "hana"],
        "y\n",
        dir,
      );
      expect(removed.code).toBe(0);
      expect((await mosquittoPub(broker.port, { user: "hana", password: "hana-pw" })).code).not.toBe(0);
    } finally {
      await killAmqtt(broker);
    }
  });
});
