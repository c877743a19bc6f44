import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fillThenKill, runToExit, start, whatSurvived, writeSessionDbConfig } from "./helpers/survival.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-cli-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("amqtt keeps its state in SQLite", () => {
  it("by default in ./amqtt-data: an acknowledged queued message and a retained message survive SIGKILL", async () => {
    const cwd = mkdtempSync(join(dir, "default-"));
    await fillThenKill([], cwd);
    expect(existsSync(join(cwd, "amqtt-data", "amqtt.db"))).toBe(true);
    const second = await start([], cwd);
    expect(await whatSurvived(second.port)).toEqual(["r/kept=retained (retained)", "t/queued=waiting"]);
  });

  it("in the folder --data-dir names", async () => {
    const cwd = mkdtempSync(join(dir, "flag-"));
    const data = join(cwd, "state");
    await fillThenKill(["--data-dir", data], cwd);
    expect(existsSync(join(data, "amqtt.db"))).toBe(true);
    expect(existsSync(join(cwd, "amqtt-data"))).toBe(false);
    const second = await start(["--data-dir", data], cwd);
    expect(await whatSurvived(second.port)).toEqual(["r/kept=retained (retained)", "t/queued=waiting"]);
  });

  it("in the file of aMQTT's SessionDBPlugin connection URL, from an aMQTT config file", async () => {
    const cwd = mkdtempSync(join(dir, "amqtt-yaml-"));
    const config = writeSessionDbConfig(cwd, "sqlite+aiosqlite:///sessions.db", ["clear_on_shutdown: false"]);
    await fillThenKill(["-c", config], cwd);
    expect(existsSync(join(cwd, "sessions.db"))).toBe(true);
    const second = await start(["-c", config], cwd);
    expect(await whatSurvived(second.port)).toEqual(["r/kept=retained (retained)", "t/queued=waiting"]);
  });

  it("not with --memory: nothing is written and nothing survives", async () => {
    const cwd = mkdtempSync(join(dir, "memory-"));
    await fillThenKill(["--memory"], cwd);
    expect(existsSync(join(cwd, "amqtt-data"))).toBe(false);
    const second = await start(["--memory"], cwd);
    expect(await whatSurvived(second.port)).toEqual([]);
  });

  it("refuses to start on a file that is not its database, exit code 1, and leaves the file as it was", async () => {
    const cwd = mkdtempSync(join(dir, "corrupt-"));
    const data = join(cwd, "data");
    const file = join(data, "amqtt.db");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(data);
    const garbage = Buffer.from("this is a text file, not SQLite, and it must stay this way\n".repeat(100));
    writeFileSync(file, garbage);
    const { code, stderr } = await runToExit(["--data-dir", data], cwd);
    expect(code).toBe(1);
    expect(stderr).toContain("Broker failed to start");
    expect(stderr).toContain(file);
    expect(readFileSync(file).equals(garbage)).toBe(true);
  });

  it("refuses --memory together with --data-dir (exit code 2)", async () => {
    const cwd = mkdtempSync(join(dir, "both-"));
    const { code, stderr } = await runToExit(["--memory", "--data-dir", "x"], cwd);
    expect(code).toBe(2);
    expect(stderr).toContain("--memory and --data-dir");
  });
});
