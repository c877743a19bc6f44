import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../src/auth/index.js";
import { createAnonymousAuthPlugin, createFileAuthPlugin, PluginManager } from "../../src/plugins/index.js";
import type { ClientInfo } from "../../src/plugins/types.js";
import { client, context, recordingLogger } from "./helpers.js";

const enc = (s: string) => new TextEncoder().encode(s);
const user = (username: string | undefined, password?: string): ClientInfo =>
  client({ username, password: password === undefined ? undefined : enc(password) });

describe("anonymous-auth (aMQTT's AnonymousAuthPlugin)", () => {
  it("with allow_anonymous true accepts everyone and marks only clients without a user name anonymous", () => {
    const plugin = createAnonymousAuthPlugin(context({ allow_anonymous: true }));
    const nobody = user(undefined);
    const alice = user("alice", "whatever");
    expect(plugin.authenticate?.(nobody)).toBe(true);
    expect(plugin.authenticate?.(alice)).toBe(true);
    expect(nobody.anonymous).toBe(true);
    // aMQTT marks alice anonymous too, which makes her session non-persistent (QUIRK not copied).
    expect(alice.anonymous).toBe(false);
  });

  it("defaults to allow_anonymous true", () => {
    expect(createAnonymousAuthPlugin(context()).authenticate?.(user(undefined))).toBe(true);
  });

  it("with allow_anonymous false refuses clients without a user name, an empty one included", () => {
    const plugin = createAnonymousAuthPlugin(context({ allow_anonymous: false }));
    expect(plugin.authenticate?.(user(undefined))).toBe(false);
    expect(plugin.authenticate?.(user(""))).toBe(false);
  });

  it("with allow_anonymous false still accepts any client with a user name, whatever its password (aMQTT's documented danger)", () => {
    const plugin = createAnonymousAuthPlugin(context({ allow_anonymous: false }));
    expect(plugin.authenticate?.(user("mallory", "wrong"))).toBe(true);
  });
});

const dir = mkdtempSync(join(tmpdir(), "amqtt-file-auth-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function started(options: Record<string, unknown>) {
  const logger = recordingLogger();
  const plugin = createFileAuthPlugin(context(options, { logger }));
  await plugin.start?.(context(options));
  return { plugin, logger };
}

describe("file-auth (aMQTT's FileAuthPlugin)", () => {
  const file = join(dir, "passwd");
  execFileSync("mosquitto_passwd", ["-c", "-b", file, "mosq", "m-secret"]);
  const mosquittoLine = readFileSync(file, "utf8");

  it("accepts a user whose password matches a mosquitto_passwd hash, and one made by hashPassword", async () => {
    writeFileSync(file, `${mosquittoLine}# comment\n\nours:${await hashPassword("o-secret")}\n`);
    const { plugin } = await started({ password_file: file });
    expect(await plugin.authenticate?.(user("mosq", "m-secret"))).toBe(true);
    expect(await plugin.authenticate?.(user("ours", "o-secret"))).toBe(true);
  });

  it("refuses a wrong password, an unknown user and a missing password with 0x86 Bad user name or password", async () => {
    writeFileSync(file, mosquittoLine);
    const { plugin } = await started({ password_file: file });
    const refusal = { refuse: 0x86, reason: "bad user name or password" };
    expect(await plugin.authenticate?.(user("mosq", "m-secreT"))).toEqual(refusal);
    expect(await plugin.authenticate?.(user("stranger", "m-secret"))).toEqual(refusal);
    expect(await plugin.authenticate?.(user("mosq"))).toEqual(refusal);
  });

  it("gives no answer for a client without a user name", async () => {
    writeFileSync(file, mosquittoLine);
    const { plugin } = await started({ password_file: file });
    expect(await plugin.authenticate?.(user(undefined))).toBeUndefined();
  });

  it("refuses a user whose hash is in an unknown format and logs why", async () => {
    writeFileSync(file, "odd:$1$abc$def\n");
    const { plugin, logger } = await started({ password_file: file });
    expect(await plugin.authenticate?.(user("odd", "x"))).toMatchObject({ refuse: 0x86 });
    expect(logger.lines.some((l) => l.level === "error" && l.message.includes("odd"))).toBe(true);
  });

  it("without a password_file answers nothing and warns once at start", async () => {
    const { plugin, logger } = await started({});
    expect(await plugin.authenticate?.(user("mosq", "m-secret"))).toBeUndefined();
    expect(logger.lines.filter((l) => l.level === "warn")).toHaveLength(1);
  });

  it("re-reads the file on reload, and keeps the old users when the new file is broken", async () => {
    writeFileSync(file, mosquittoLine);
    const { plugin } = await started({ password_file: file });
    writeFileSync(file, `late:${await hashPassword("l")}\n`);
    expect(await plugin.authenticate?.(user("late", "l"))).toMatchObject({ refuse: 0x86 });
    await plugin.reload();
    expect(await plugin.authenticate?.(user("late", "l"))).toBe(true);
    expect(await plugin.authenticate?.(user("mosq", "m-secret"))).toMatchObject({ refuse: 0x86 });
    writeFileSync(file, "not a valid line\n");
    await expect(plugin.reload()).rejects.toMatchObject({ name: "PasswordFileError" });
    expect(await plugin.authenticate?.(user("late", "l"))).toBe(true);
  });

  it("stops the broker from starting when the password file cannot be read", async () => {
    const manager = new PluginManager({
      specs: [
        { name: "file-auth", options: { password_file: join(dir, "absent") }, configuredAs: "auth_file" },
      ],
      logger: recordingLogger(),
      createContext: (_n, options) => context(options),
    });
    await expect(manager.start()).rejects.toMatchObject({ name: "PluginLoadError", plugin: "auth_file" });
  });

  it("with anonymous-auth (allow_anonymous false) lets in only users with the right password", async () => {
    writeFileSync(file, mosquittoLine);
    const manager = new PluginManager({
      specs: [
        { name: "anonymous-auth", options: { allow_anonymous: false }, configuredAs: "anonymous-auth" },
        { name: "file-auth", options: { password_file: file }, configuredAs: "file-auth" },
      ],
      logger: recordingLogger(),
      createContext: (_n, options) => context(options),
    });
    await manager.start();
    expect(await manager.authenticate(user("mosq", "m-secret"))).toEqual({ accepted: true });
    expect(await manager.authenticate(user("mosq", "bad"))).toMatchObject({
      accepted: false,
      reasonCode: 0x86,
    });
    expect(await manager.authenticate(user(undefined))).toMatchObject({ accepted: false, reasonCode: 0x87 });
  });
});
