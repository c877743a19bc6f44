import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { randomBytes, seededRandom } from "@amqtt/test-utils";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  deriveScramCredentials,
  formatScramCredentials,
  isScramCredentials,
  parseScramCredentials,
  type ScramChallenge,
  ScramClient,
  ScramCredentialsError,
  ScramError,
  type ScramFailure,
  ScramServer,
  type ScramServerOptions,
  type StoredCredentials,
  saslPrepLight,
  verifyScramPassword,
} from "../../src/auth/scram/index.js";
import { parsePasswordFile } from "../../src/index.js";

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

// RFC 7677 section 3: the SCRAM-SHA-256 example, user "user", password "pencil".
const RFC = {
  clientNonce: "rOprNGfwEbeRWgbNEkqO",
  serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
  salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
  clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  clientFinal:
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

const users = new Map<string, StoredCredentials>([
  ["user", deriveScramCredentials("pencil", { salt: Buffer.from(RFC.salt, "base64") })],
  ["alice", deriveScramCredentials("wonderland")],
  ["a,b=c", deriveScramCredentials("commas")],
]);
const secret = utf8("a stable server secret for tests");
const options: ScramServerOptions = { lookup: (name) => users.get(name), secret };

/**
 * An independent client-final computation (RFC 5802 section 3), for messages
 * ScramClient never sends: other GS2 headers, extensions, tampered fields.
 */
function clientFinalFor(password: string, bare: string, serverFirst: string, gs2Header = "n,,"): string {
  const attrs = Object.fromEntries(serverFirst.split(",").map((a) => [a[0], a.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.s!, "base64"), Number(attrs.i), 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const withoutProof = `c=${b64(utf8(gs2Header))},r=${attrs.r}`;
  const signature = createHmac("sha256", storedKey).update(`${bare},${serverFirst},${withoutProof}`).digest();
  return `${withoutProof},p=${b64(clientKey.map((byte, i) => byte ^ signature[i]!))}`;
}

async function challenge(server: ScramServer, clientFirst: string | Uint8Array): Promise<string> {
  const result = await server.start(typeof clientFirst === "string" ? utf8(clientFirst) : clientFirst);
  if (!result.ok) throw result.error;
  return text(result.serverFirst);
}

function failed(result: { ok: boolean }): ScramFailure {
  expect(result.ok).toBe(false);
  return result as ScramFailure;
}

function scramErrorOf(run: () => unknown): ScramError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ScramError);
    return error as ScramError;
  }
  throw new Error("expected a ScramError");
}

describe("the RFC 7677 section 3 example", () => {
  it("the client produces the RFC's client-first and client-final and accepts its server-final", () => {
    const client = new ScramClient("user", "pencil", { nonce: RFC.clientNonce });
    expect(text(client.first())).toBe(RFC.clientFirst);
    expect(text(client.final(utf8(RFC.serverFirst)))).toBe(RFC.clientFinal);
    expect(() => client.verify(utf8(RFC.serverFinal))).not.toThrow();
  });

  it("the server produces the RFC's server-first and server-final from the stored credentials", async () => {
    const server = new ScramServer({ ...options, createNonce: () => RFC.serverNonce });
    expect(await challenge(server, RFC.clientFirst)).toBe(RFC.serverFirst);
    const result = server.finish(utf8(RFC.clientFinal));
    expect(result.ok && text(result.serverFinal)).toBe(RFC.serverFinal);
    expect(result.ok && result.username).toBe("user");
  });
});

describe("stored credentials", () => {
  it("format as SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> and parse back", () => {
    const credentials = users.get("user")!;
    const line = formatScramCredentials(credentials);
    expect(line).toMatch(
      /^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/,
    );
    expect(isScramCredentials(line)).toBe(true);
    expect(parseScramCredentials(line)).toEqual(credentials);
  });

  it("fit a password file line, whose user name ends at the first colon", () => {
    const line = formatScramCredentials(users.get("alice")!);
    const stored = parsePasswordFile(`alice:${line}\n`).get("alice")!;
    expect(parseScramCredentials(stored)).toEqual(users.get("alice"));
  });

  it("verify a plain password too, so CONNECT's password field can use the same file", () => {
    expect(verifyScramPassword(users.get("alice")!, "wonderland")).toBe(true);
    expect(verifyScramPassword(users.get("alice")!, "Wonderland")).toBe(false);
  });

  it("use 4096 iterations and a fresh 16-byte salt by default", () => {
    const a = deriveScramCredentials("same");
    const b = deriveScramCredentials("same");
    expect(a.iterations).toBe(4096);
    expect(a.salt).toHaveLength(16);
    expect(a.salt).not.toEqual(b.salt);
    expect(a.storedKey).not.toEqual(b.storedKey);
  });

  it.each([
    ["another scheme", "$7$101$abc$def"],
    ["a missing field", "SCRAM-SHA-256$4096:c2FsdA==$AAAA"],
    ["a zero iteration count", `SCRAM-SHA-256$0:c2FsdA==$${"A".repeat(43)}=:${"A".repeat(43)}=`],
    ["a salt that is not base64", `SCRAM-SHA-256$4096:c2F*dA==$${"A".repeat(43)}=:${"A".repeat(43)}=`],
    ["a StoredKey of the wrong size", `SCRAM-SHA-256$4096:c2FsdA==$AAAA:${"A".repeat(43)}=`],
    [
      "an iteration count above 2^31-1",
      `SCRAM-SHA-256$9999999999:c2FsdA==$${"A".repeat(43)}=:${"A".repeat(43)}=`,
    ],
  ])("refuse to parse %s with ScramCredentialsError", (_name, line) => {
    expect(() => parseScramCredentials(line)).toThrow(ScramCredentialsError);
  });

  it("refuse to derive with a non-positive iteration count or an empty salt", () => {
    expect(() => deriveScramCredentials("x", { iterations: 0 })).toThrow(RangeError);
    expect(() => deriveScramCredentials("x", { salt: new Uint8Array(0) })).toThrow(RangeError);
  });
});

describe("client and server round trips", () => {
  it("a client with the right password authenticates and verifies the server", async () => {
    const client = new ScramClient("alice", "wonderland");
    const server = new ScramServer(options);
    const serverFirst = await server.start(client.first());
    expect(serverFirst.ok).toBe(true);
    const result = server.finish(client.final((serverFirst as ScramChallenge).serverFirst));
    expect(result.ok && result.username).toBe("alice");
    expect(() => client.verify((result as { serverFinal: Uint8Array }).serverFinal)).not.toThrow();
  });

  it("a user name with ',' and '=' travels escaped as =2C and =3D and comes out whole", async () => {
    const client = new ScramClient("a,b=c", "commas", { nonce: "xyz" });
    const clientFirst = client.first();
    expect(text(clientFirst)).toBe("n,,n=a=2Cb=3Dc,r=xyz");
    const server = new ScramServer(options);
    const result = server.finish(client.final(utf8(await challenge(server, clientFirst))));
    expect(result.ok && result.username).toBe("a,b=c");
  });

  it("re-authentication runs a second conversation with the same options", async () => {
    for (let round = 0; round < 2; round++) {
      const client = new ScramClient("alice", "wonderland");
      const server = new ScramServer(options);
      const first = (await server.start(client.first())) as ScramChallenge;
      const result = server.finish(client.final(first.serverFirst));
      expect(result.ok).toBe(true);
    }
  });

  it("the server derives a fresh random nonce for each conversation", async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const serverFirst = await challenge(new ScramServer(options), "n,,n=alice,r=abc");
      nonces.add(serverFirst.split(",")[0]!);
      expect(serverFirst).toMatch(/^r=abc[A-Za-z0-9+/]{24},/);
    }
    expect(nonces.size).toBe(5);
  });

  it("the GS2 flag 'y' (client supports channel binding, thinks the server does not) is accepted", async () => {
    const server = new ScramServer(options);
    const serverFirst = await challenge(server, "y,,n=alice,r=abc");
    const result = server.finish(utf8(clientFinalFor("wonderland", "n=alice,r=abc", serverFirst, "y,,")));
    expect(result.ok).toBe(true);
  });

  it("an authzid naming the user itself is accepted; the 'c=' then repeats it", async () => {
    const server = new ScramServer(options);
    const serverFirst = await challenge(server, "n,a=alice,n=alice,r=abc");
    const result = server.finish(
      utf8(clientFinalFor("wonderland", "n=alice,r=abc", serverFirst, "n,a=alice,")),
    );
    expect(result.ok).toBe(true);
  });

  it("unknown optional extensions after the nonce are ignored (RFC 5802 section 7)", async () => {
    const server = new ScramServer(options);
    const bare = "n=alice,r=abc,x=something";
    const serverFirst = await challenge(server, `n,,${bare}`);
    expect(server.finish(utf8(clientFinalFor("wonderland", bare, serverFirst))).ok).toBe(true);
  });

  it("SASLprep-light makes a no-break space in a password equal to a space", async () => {
    const stored = deriveScramCredentials("two words");
    const server = new ScramServer({ lookup: () => stored });
    const client = new ScramClient("bob", "two\u00A0words");
    const first = (await server.start(client.first())) as ScramChallenge;
    expect(server.finish(client.final(first.serverFirst)).ok).toBe(true);
  });
});

describe("authentication failures", () => {
  it("a wrong password fails with invalid-proof, and the client learns it from e=invalid-proof", async () => {
    const client = new ScramClient("alice", "guess");
    const server = new ScramServer(options);
    const first = (await server.start(client.first())) as ScramChallenge;
    const failure = failed(server.finish(client.final(first.serverFirst)));
    expect(failure.reason).toBe("invalid-proof");
    expect(text(failure.serverFinal)).toBe("e=invalid-proof");
    const error = scramErrorOf(() => client.verify(failure.serverFinal));
    expect([error.reason, error.serverError]).toEqual(["server-error", "invalid-proof"]);
  });

  it("an unknown user gets a challenge of the same shape, stable per name, and fails only at finish", async () => {
    const shape = /^r=abc[A-Za-z0-9+/]{24},s=[A-Za-z0-9+/]{22}==,i=4096$/;
    const known = await challenge(new ScramServer(options), "n,,n=alice,r=abc");
    const unknown = await challenge(new ScramServer(options), "n,,n=mallory,r=abc");
    const again = await challenge(new ScramServer(options), "n,,n=mallory,r=abc");
    const otherSecret = await challenge(
      new ScramServer({ ...options, secret: utf8("x") }),
      "n,,n=mallory,r=abc",
    );
    expect(known).toMatch(shape);
    expect(unknown).toMatch(shape);
    const salt = (message: string) => message.split(",")[1];
    expect(salt(again)).toBe(salt(unknown));
    expect(salt(otherSecret)).not.toBe(salt(unknown));
    expect(salt(unknown)).not.toBe(salt(await challenge(new ScramServer(options), "n,,n=eve,r=abc")));
  });

  it("an unknown user's failure is sent exactly like a wrong password's; only the logged reason differs", async () => {
    const server = new ScramServer(options);
    const serverFirst = await challenge(server, "n,,n=mallory,r=abc");
    const failure = failed(server.finish(utf8(clientFinalFor("anything", "n=mallory,r=abc", serverFirst))));
    expect(failure.reason).toBe("unknown-user");
    expect(failure.serverError).toBe("invalid-proof");
    expect(text(failure.serverFinal)).toBe("e=invalid-proof");
  });

  it("a client-final whose nonce was tampered with fails with nonce-mismatch", async () => {
    const server = new ScramServer(options);
    const serverFirst = await challenge(server, "n,,n=alice,r=abc");
    const final = clientFinalFor("wonderland", "n=alice,r=abc", serverFirst).replace(",r=abc", ",r=abd");
    expect(failed(server.finish(utf8(final))).reason).toBe("nonce-mismatch");
  });

  it("a client-final whose c= does not repeat the GS2 header fails with channel-bindings-dont-match", async () => {
    const server = new ScramServer(options);
    const serverFirst = await challenge(server, "n,,n=alice,r=abc");
    const final = clientFinalFor("wonderland", "n=alice,r=abc", serverFirst, "y,,");
    const failure = failed(server.finish(utf8(final)));
    expect(failure.reason).toBe("channel-bindings-dont-match");
    expect(text(failure.serverFinal)).toBe("e=channel-bindings-dont-match");
  });

  it("a request for channel binding (p=) is refused with channel-binding-not-supported", async () => {
    const failure = failed(await new ScramServer(options).start(utf8("p=tls-exporter,,n=alice,r=abc")));
    expect(failure.reason).toBe("channel-binding-not-supported");
    expect(failure.error.message).toMatch(/channel binding/);
    expect(text(failure.serverFinal)).toBe("e=channel-binding-not-supported");
  });

  it.each([
    ["an unknown flag", "x,,n=alice,r=abc"],
    ["no authzid field", "n,n=alice,r=abc"],
    ["an authzid without a=", "n,b=alice,n=alice,r=abc"],
    ["an empty a=", "n,a=,n=alice,r=abc"],
    ["an unterminated header", "n,"],
    ["a header and nothing else", "n,,"],
    ["nothing at all", ""],
  ])("a bad GS2 header (%s) is a malformed message", async (_name, message) => {
    const failure = failed(await new ScramServer(options).start(utf8(message)));
    expect(failure.reason).toBe("malformed-message");
    expect(failure.serverError).toBe("invalid-encoding");
  });

  it("an authzid naming someone else is refused", async () => {
    const failure = failed(await new ScramServer(options).start(utf8("n,a=admin,n=alice,r=abc")));
    expect(failure.reason).toBe("authzid-not-supported");
  });

  it("stored credentials with fewer than 4096 iterations are refused (RFC 7677 section 4)", async () => {
    const weak = deriveScramCredentials("pw", { iterations: 1000 });
    const failure = failed(await new ScramServer({ lookup: () => weak }).start(utf8("n,,n=bob,r=abc")));
    expect(failure.reason).toBe("invalid-credentials");
  });

  it("a rejecting lookup rejects start(), and the conversation is over", async () => {
    const server = new ScramServer({ lookup: () => Promise.reject(new Error("database down")) });
    await expect(server.start(utf8("n,,n=bob,r=abc"))).rejects.toThrow("database down");
    expect(failed(server.finish(utf8("c=biws,r=abc,p=AAAA"))).reason).toBe("out-of-order");
  });
});

describe("malformed client messages give typed failures", () => {
  const clientFirsts: Array<[string, Uint8Array | string, string]> = [
    ["invalid UTF-8", new Uint8Array([0x6e, 0x2c, 0x2c, 0xff]), "malformed-message"],
    ["a NUL byte", "n,,n=al\u0000ice,r=abc", "malformed-message"],
    ["the mandatory extension m=", "n,,m=ext,n=alice,r=abc", "extensions-not-supported"],
    ["a bad =XX escape in the user name", "n,,n=al=2Xice,r=abc", "invalid-username-encoding"],
    ["an empty user name", "n,,n=,r=abc", "malformed-message"],
    ["a control character in the user name", "n,,n=al\u0007ice,r=abc", "invalid-username-encoding"],
    ["a missing nonce", "n,,n=alice", "malformed-message"],
    ["an empty nonce", "n,,n=alice,r=", "malformed-message"],
    ["a non-ASCII nonce", "n,,n=alice,r=ab\u00e9", "nonce-mismatch"],
    ["attributes in the wrong order", "n,,r=abc,n=alice", "malformed-message"],
    ["an attribute without '='", "n,,n=alice,r=abc,junk", "malformed-message"],
  ];

  it.each(clientFirsts)("a client-first with %s", async (_name, message, reason) => {
    const bytes = typeof message === "string" ? utf8(message) : message;
    expect(failed(await new ScramServer(options).start(bytes)).reason).toBe(reason);
  });

  it.each([
    ["no proof", (f: string) => f.slice(0, f.indexOf(",p=")), "malformed-message"],
    [
      "a proof that is not base64",
      (f: string) => `${f.slice(0, f.indexOf(",p="))},p=!!!!`,
      "malformed-message",
    ],
    ["a proof of 4 bytes", (f: string) => `${f.slice(0, f.indexOf(",p="))},p=AAAAAA==`, "invalid-proof"],
    ["the proof first", (f: string) => `p=${f.split(",p=")[1]},${f.split(",p=")[0]}`, "malformed-message"],
    [
      "a flipped proof bit",
      (f: string) => f.replace(/p=(.)/, (_m, c) => `p=${c === "A" ? "B" : "A"}`),
      "invalid-proof",
    ],
  ])("a client-final with %s", async (_name, mutate, reason) => {
    const server = new ScramServer(options);
    const serverFirst = await challenge(server, "n,,n=alice,r=abc");
    const final = mutate(clientFinalFor("wonderland", "n=alice,r=abc", serverFirst));
    expect(failed(server.finish(utf8(final))).reason).toBe(reason);
  });

  it(`messages are bounded to ${DEFAULT_MAX_MESSAGE_BYTES} bytes by default, and the bound is configurable`, async () => {
    const atLimit = `n,,n=alice,r=${"a".repeat(DEFAULT_MAX_MESSAGE_BYTES - 13)}`;
    expect(utf8(atLimit)).toHaveLength(DEFAULT_MAX_MESSAGE_BYTES);
    expect((await new ScramServer(options).start(utf8(atLimit))).ok).toBe(true);
    const over = failed(await new ScramServer(options).start(utf8(`${atLimit}a`)));
    expect(over.reason).toBe("message-too-large");
    const small = failed(
      await new ScramServer({ ...options, maxMessageBytes: 16 }).start(utf8(RFC.clientFirst)),
    );
    expect(small.reason).toBe("message-too-large");
  });

  it("steps out of order fail with out-of-order and end the conversation", async () => {
    const early = new ScramServer(options);
    expect(failed(early.finish(utf8(RFC.clientFinal))).reason).toBe("out-of-order");
    expect(failed(await early.start(utf8(RFC.clientFirst))).reason).toBe("out-of-order");
    const twice = new ScramServer(options);
    await challenge(twice, "n,,n=alice,r=abc");
    expect(failed(await twice.start(utf8("n,,n=alice,r=abc"))).reason).toBe("out-of-order");
    expect(failed(twice.finish(utf8(RFC.clientFinal))).reason).toBe("out-of-order");
  });

  it("random bytes and mutated valid messages never throw, they fail with a reason (500 seeded cases)", async () => {
    const random = seededRandom(7677);
    const valid = [utf8("n,,n=alice,r=abc"), utf8(RFC.clientFirst), utf8("c=biws,r=abc,p=AAAA")];
    for (let i = 0; i < 500; i++) {
      const input = i % 2 === 0 ? randomBytes(random, 40) : mutate(random, valid[i % valid.length]!);
      const server = new ScramServer(options);
      const first = await server.start(input);
      if (!first.ok) expect(typeof first.reason).toBe("string");
      const final = server.finish(mutate(random, utf8(RFC.clientFinal)));
      expect(final.ok).toBe(false);
    }
  });
});

describe("the client refuses bad server messages", () => {
  const started = (options = {}) => {
    const client = new ScramClient("user", "pencil", { nonce: RFC.clientNonce, ...options });
    client.first();
    return client;
  };

  it.each([
    ["i=4095, below RFC 7677's 4096", RFC.serverFirst.replace("i=4096", "i=4095"), "iteration-count"],
    ["i=1", RFC.serverFirst.replace("i=4096", "i=1"), "iteration-count"],
    ["more than a million iterations", RFC.serverFirst.replace("i=4096", "i=1000001"), "iteration-count"],
    ["i=0", RFC.serverFirst.replace("i=4096", "i=0"), "malformed-message"],
    ["a non-numeric count", RFC.serverFirst.replace("i=4096", "i=4k"), "malformed-message"],
    ["a nonce that does not extend ours", RFC.serverFirst.replace("r=rOpr", "r=xOpr"), "nonce-mismatch"],
    ["a nonce without a server part", `r=${RFC.clientNonce},s=${RFC.salt},i=4096`, "nonce-mismatch"],
    ["a salt that is not base64", RFC.serverFirst.replace(RFC.salt, "W22*"), "malformed-message"],
    ["the mandatory extension m=", `m=x,${RFC.serverFirst}`, "extensions-not-supported"],
    ["a missing salt", `r=${RFC.clientNonce}xyz,i=4096`, "malformed-message"],
  ])("a server-first with %s", (_name, serverFirst, reason) => {
    expect(scramErrorOf(() => started().final(utf8(serverFirst))).reason).toBe(reason);
  });

  it("a lower minimum iteration count can be allowed explicitly", () => {
    const serverFirst = RFC.serverFirst.replace("i=4096", "i=1024");
    expect(() => started({ minIterations: 1024 }).final(utf8(serverFirst))).not.toThrow();
  });

  it.each([
    ["a wrong signature", "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", "invalid-server-signature"],
    ["a signature that is not base64", "v=6rri*", "malformed-message"],
    [
      "non-canonical base64 (stray bits in the padding)",
      RFC.serverFinal.replace("G4=", "G5="),
      "malformed-message",
    ],
    ["neither v= nor e=", "x=1", "malformed-message"],
    ["an empty message", "", "malformed-message"],
  ])("a server-final with %s", (_name, serverFinal, reason) => {
    const client = started();
    client.final(utf8(RFC.serverFirst));
    expect(scramErrorOf(() => client.verify(utf8(serverFinal))).reason).toBe(reason);
  });

  it("steps out of order throw out-of-order", () => {
    const client = new ScramClient("user", "pencil");
    expect(scramErrorOf(() => client.final(utf8(RFC.serverFirst))).reason).toBe("out-of-order");
    expect(scramErrorOf(() => client.first()).reason).toBe("out-of-order");
    const failedFinal = started();
    scramErrorOf(() => failedFinal.final(utf8("junk")));
    expect(scramErrorOf(() => failedFinal.verify(utf8(RFC.serverFinal))).reason).toBe("out-of-order");
  });

  it("a user name SASLprep refuses is refused before anything is sent", () => {
    expect(scramErrorOf(() => new ScramClient("\u0007", "pw")).reason).toBe("invalid-username-encoding");
    expect(scramErrorOf(() => new ScramClient("", "pw")).reason).toBe("invalid-username-encoding");
    expect(scramErrorOf(() => new ScramClient("bob", "p\u0000w")).reason).toBe("invalid-credentials");
  });

  it("random server messages only ever throw ScramError (500 seeded cases)", () => {
    const random = seededRandom(5802);
    for (let i = 0; i < 500; i++) {
      const client = started();
      const input = i % 2 === 0 ? randomBytes(random, 40) : mutate(random, utf8(RFC.serverFirst));
      try {
        client.final(input);
        client.verify(mutate(random, utf8(RFC.serverFinal)));
      } catch (error) {
        expect(error).toBeInstanceOf(ScramError);
      }
    }
  });
});

describe("SASLprep-light", () => {
  it.each([
    ["maps a no-break space to a space", "a\u00A0b", "a b"],
    ["removes a soft hyphen", "pass\u00ADword", "password"],
    ["removes a zero-width space", "pass\u200Bword", "password"],
    ["applies NFKC: the Roman numeral nine becomes IX", "\u2168", "IX"],
    ["applies NFKC: a decomposed e-acute composes", "e\u0301", "\u00E9"],
    ["keeps ordinary text", "Hello, World=1", "Hello, World=1"],
  ])("%s", (_name, input, output) => {
    expect(saslPrepLight(input)).toBe(output);
  });

  it.each([
    ["a control character", "a\u0007b"],
    ["DEL", "a\u007Fb"],
    ["a lone surrogate", "a\uD800b"],
    ["a line separator", "a\u2028b"],
    ["a tag character", "a\u{E0041}b"],
  ])("refuses %s", (_name, input) => {
    expect(saslPrepLight(input)).toBeUndefined();
  });
});

/** Overwrite, delete or insert a few bytes. */
function mutate(random: () => number, bytes: Uint8Array): Uint8Array {
  const out = [...bytes];
  const edits = 1 + Math.floor(random() * 3);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (out.length + 1));
    const byte = Math.floor(random() * 256);
    const kind = Math.floor(random() * 3);
    if (kind === 0 && at < out.length) out[at] = byte;
    else if (kind === 1) out.splice(at, 1);
    else out.splice(at, 0, byte);
  }
  return Uint8Array.from(out);
}
