import { execFileSync } from "node:child_process";
import { hashPassword } from "@amqtt/broker";
import { describe, expect, it } from "vitest";
import { PasswordHasher, schemeOf } from "../src/index.js";

// passlib's legacy formats, made by Python's own hashlib (an implementation
// independent of ours), in passlib's adapted base64 ("." for "+", no padding).
function python(script: string): string {
  return execFileSync("python3", ["-c", script], { encoding: "utf8" }).trim();
}
const ab64 = `
import base64, hashlib
def ab64(b): return base64.b64encode(b).decode().rstrip("=").replace("+", ".")
`;
// A salt whose base64 has a "+" (so passlib's text has a "."), which aMQTT's own decoder drops.
const salt = "bytes([0xfb, 0xef, 0xbe] * 6)";

describe("hash_schemes", () => {
  it("a passlib pbkdf2_sha256 hash verifies when listed, and is upgraded to argon2", async () => {
    const stored = python(
      `${ab64}s=${salt}\nprint("$pbkdf2-sha256$1000$" + ab64(s) + "$" + ab64(hashlib.pbkdf2_hmac("sha256", b"secret", s, 1000, 32)))`,
    );
    expect(stored).toContain(".");
    expect(schemeOf(stored)).toBe("pbkdf2_sha256");
    const hasher = new PasswordHasher(["pbkdf2_sha256"]);
    expect(hasher.schemes).toEqual(["argon2", "pbkdf2_sha256"]);
    expect((await hasher.verify(stored, "wrong")).valid).toBe(false);
    const good = await hasher.verify(stored, "secret");
    expect(good.valid).toBe(true);
    expect(good.upgraded).toMatch(/^\$argon2id\$/);
    expect((await new PasswordHasher().verify(stored, "secret")).valid).toBe(false);
  });

  it("a passlib scrypt hash verifies when listed, and is upgraded", async () => {
    const stored = python(
      `${ab64}s=${salt}\nprint("$scrypt$ln=10,r=8,p=1$" + ab64(s) + "$" + ab64(hashlib.scrypt(b"secret", salt=s, n=1024, r=8, p=1, dklen=32)))`,
    );
    const hasher = new PasswordHasher(["argon2", "scrypt"]);
    const good = await hasher.verify(stored, "secret");
    expect([good.valid, schemeOf(good.upgraded ?? "")]).toEqual([true, "argon2"]);
    expect((await hasher.verify(stored, "secreT")).valid).toBe(false);
  });

  it("the first scheme hashes new passwords and a hash in it is not re-hashed", async () => {
    const bcryptFirst = new PasswordHasher(["bcrypt", "argon2"]);
    const stored = await bcryptFirst.hash("pw");
    expect(schemeOf(stored)).toBe("bcrypt");
    expect(await bcryptFirst.verify(stored, "pw")).toEqual({ valid: true, upgraded: undefined });
    const argon = await hashPassword("pw");
    const upgraded = await bcryptFirst.verify(argon, "pw");
    expect([upgraded.valid, schemeOf(upgraded.upgraded ?? "")]).toEqual([true, "bcrypt"]);
  });

  it("a hash in a scheme that is not configured, or garbage, never matches", async () => {
    const onlyArgon = new PasswordHasher(["argon2"]);
    expect((await onlyArgon.verify(await hashPassword("pw", { algorithm: "bcrypt" }), "pw")).valid).toBe(
      false,
    );
    expect((await onlyArgon.verify("plain-text", "plain-text")).valid).toBe(false);
    expect((await new PasswordHasher(["scrypt"]).verify("$scrypt$ln=99,r=8,p=1$AA$AA", "x")).valid).toBe(
      false,
    );
  });
});
