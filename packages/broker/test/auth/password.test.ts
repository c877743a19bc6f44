import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@amqtt/test-utils";
import { afterAll, describe, expect, it } from "vitest";
import {
  formatPasswordFile,
  hashPassword,
  PasswordFileError,
  parsePasswordFile,
  passwordHashFormat,
  UnsupportedPasswordHashError,
  verifyPassword,
} from "../../src/index.js";

const tmp = makeTempDir("amqtt-passwd-");
const dir = tmp.path;
afterAll(tmp.remove);

describe("hashes made by other tools verify", () => {
  it("mosquitto_passwd's $7$ PBKDF2-SHA512 hashes (Debian's mosquitto)", async () => {
    const file = join(dir, "mosquitto.passwd");
    execFileSync("mosquitto_passwd", ["-c", "-b", file, "alice", "s3cret"]);
    const hash = parsePasswordFile(readFileSync(file, "utf8")).get("alice")!;
    expect(passwordHashFormat(hash)).toBe("mosquitto-pbkdf2");
    expect(await verifyPassword(hash, "s3cret")).toBe(true);
    expect(await verifyPassword(hash, "s3cret!")).toBe(false);
  });

  it("SHA-512 crypt hashes, aMQTT's legacy format, made by openssl passwd -6", async () => {
    const hash = execFileSync("openssl", ["passwd", "-6", "pa:ss word"], { encoding: "utf8" }).trim();
    expect(passwordHashFormat(hash)).toBe("sha512-crypt");
    expect(await verifyPassword(hash, "pa:ss word")).toBe(true);
    expect(await verifyPassword(hash, "pa:ss")).toBe(false);
  });

  it("mosquitto 1.x $6$ hashes (SHA-512 of password and salt, base64), made with Python's hashlib", async () => {
    const hash = execFileSync(
      "python3",
      [
        "-c",
        "import hashlib,base64;s=b'0123456789ab';print('$6$'+base64.b64encode(s).decode()+'$'+base64.b64encode(hashlib.sha512(b'pw'+s).digest()).decode())",
      ],
      { encoding: "utf8" },
    ).trim();
    expect(passwordHashFormat(hash)).toBe("mosquitto-sha512");
    expect(await verifyPassword(hash, "pw")).toBe(true);
    expect(await verifyPassword(hash, "px")).toBe(false);
  });

  it("bcrypt, with OpenBSD's published test vector", async () => {
    const hash = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
    expect(passwordHashFormat(hash)).toBe("bcrypt");
    expect(await verifyPassword(hash, "U*U")).toBe(true);
    expect(await verifyPassword(hash, "U*V")).toBe(false);
  });
});

describe("hashes we make", () => {
  it("are argon2id by default and verify", async () => {
    const hash = await hashPassword("correct horse");
    expect(hash.startsWith("$argon2id$")).toBe(true);
    expect(await verifyPassword(hash, "correct horse")).toBe(true);
    expect(await verifyPassword(hash, "wrong horse")).toBe(false);
  });

  it("in mosquitto's $7$ format are accepted by mosquitto itself", async () => {
    const hash = await hashPassword("shared", { algorithm: "mosquitto-pbkdf2" });
    expect(await verifyPassword(hash, "shared")).toBe(true);
    // Mosquitto reads the file we write: a broker started on it answers to this
    // user. Here we check its own tool accepts the file by updating another user in it.
    const file = join(dir, "ours.passwd");
    writeFileSync(file, `bob:${hash}\n`);
    execFileSync("mosquitto_passwd", ["-b", file, "carol", "other"]);
    const users = parsePasswordFile(readFileSync(file, "utf8"));
    expect(users.get("bob")).toBe(hash);
    expect(await verifyPassword(users.get("carol")!, "other")).toBe(true);
  });

  it("in bcrypt verify", async () => {
    const hash = await hashPassword("b", { algorithm: "bcrypt" });
    expect(await verifyPassword(hash, "b")).toBe(true);
  });
});

describe("password files", () => {
  it("skip blank and comment lines and split at the first colon", () => {
    const users = parsePasswordFile("# users\n\nalice:$argon2id$x\r\n  bob:$6$a$b  \n");
    expect([...users]).toEqual([
      ["alice", "$argon2id$x"],
      ["bob", "$6$a$b"],
    ]);
    expect(parsePasswordFile(formatPasswordFile(users))).toEqual(users);
  });

  it("report a malformed line with its number", () => {
    expect(() => parsePasswordFile("alice:x\nnocolon\n", "users.txt")).toThrow(PasswordFileError);
    expect(() => parsePasswordFile("alice:x\nnocolon\n", "users.txt")).toThrow("users.txt:2:");
  });

  it("an unknown hash format is an error, not a silent refusal", async () => {
    await expect(verifyPassword("plaintext", "plaintext")).rejects.toBeInstanceOf(
      UnsupportedPasswordHashError,
    );
  });
});
