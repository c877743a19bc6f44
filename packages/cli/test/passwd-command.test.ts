import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePasswordFile, parseScramCredentials, verifyPassword, verifyScramPassword } from "@amqtt/broker";
import { afterAll, describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "..", "dist", "passwd-bin.js");
const dir = mkdtempSync(join(tmpdir(), "amqtt-passwd-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function passwd(args: string[], input?: string): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", input: input ?? "" });
  return { code: r.status, stderr: r.stderr };
}
const users = (file: string) => parsePasswordFile(readFileSync(file, "utf8"));

describe("amqtt_passwd", () => {
  it("creates a file with an argon2id user, adds and changes users, and deletes one", async () => {
    const file = join(dir, "a.passwd");
    expect(passwd(["-c", "-b", file, "alice", "s3cret"]).code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(users(file).get("alice")).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(users(file).get("alice")!, "s3cret")).toBe(true);
    expect(passwd(["-b", file, "bob", "pw"]).code).toBe(0);
    expect(passwd(["-b", file, "alice", "changed"]).code).toBe(0);
    expect(await verifyPassword(users(file).get("alice")!, "changed")).toBe(true);
    expect(passwd(["-D", file, "bob"]).code).toBe(0);
    expect([...users(file).keys()]).toEqual(["alice"]);
  });

  it("asks for the password twice when it is not on the command line", async () => {
    const file = join(dir, "b.passwd");
    expect(passwd(["-c", file, "carol"], "typed\ntyped\n").code).toBe(0);
    expect(await verifyPassword(users(file).get("carol")!, "typed")).toBe(true);
    const mismatch = passwd(["-c", file, "carol"], "one\ntwo\n");
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain("do not match");
  });

  it("writes mosquitto_passwd's $7$ format, which Mosquitto's own tool then updates", async () => {
    const file = join(dir, "m.passwd");
    expect(passwd(["-c", "-b", "-a", "mosquitto", file, "dave", "pw"]).code).toBe(0);
    execFileSync("mosquitto_passwd", ["-b", file, "erin", "other"]);
    expect(users(file).get("dave")).toMatch(/^\$7\$/);
    expect(await verifyPassword(users(file).get("dave")!, "pw")).toBe(true);
    expect(await verifyPassword(users(file).get("erin")!, "other")).toBe(true);
  });

  it("writes SCRAM-SHA-256 credentials for 5.0 enhanced authentication", () => {
    const file = join(dir, "s.passwd");
    expect(passwd(["-c", "-b", "-a", "scram", file, "frank", "pencil"]).code).toBe(0);
    expect(verifyScramPassword(parseScramCredentials(users(file).get("frank")!), "pencil")).toBe(true);
  });

  it("gives clear errors and exit code 2 for misuse", () => {
    const missing = passwd(["-b", join(dir, "none.passwd"), "x", "y"]);
    expect([missing.code, missing.stderr.includes("does not exist")]).toEqual([2, true]);
    expect(passwd(["-c", "-b", join(dir, "c.passwd"), "a:b", "y"]).stderr).toContain("cannot contain ':'");
    expect(passwd(["-c", join(dir, "c.passwd"), "x", "y"]).stderr).toContain("needs -b");
    expect(passwd(["-D", join(dir, "a.passwd"), "nobody"]).code).toBe(2);
    expect(passwd(["--nope"]).code).toBe(2);
  });
});
