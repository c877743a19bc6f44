import { describe, expect, it } from "vitest";
import { AddressMatcher, forwardedClient } from "../../src/index.js";

const trusted = new AddressMatcher(["127.0.0.1", "10.0.0.0/8"]);

describe("forwardedClient (X-Forwarded-For and Forwarded from trusted proxies)", () => {
  it("takes the client from X-Forwarded-For when the peer is a trusted proxy", () => {
    expect(forwardedClient("127.0.0.1", { "x-forwarded-for": "203.0.113.7" }, trusted)).toEqual({
      host: "203.0.113.7",
    });
  });

  it("ignores the headers of a peer that is not a trusted proxy", () => {
    expect(forwardedClient("198.51.100.2", { "x-forwarded-for": "203.0.113.7" }, trusted)).toBeUndefined();
  });

  it("skips trusted hops from the right and never believes what is left of an untrusted one", () => {
    const headers = { "x-forwarded-for": "1.1.1.1, 203.0.113.7, 10.0.0.5" };
    // 10.0.0.5 is a trusted inner proxy; 203.0.113.7 is the first untrusted hop: the client.
    // 1.1.1.1 was written by that client and is not believed.
    expect(forwardedClient("::ffff:127.0.0.1", headers, trusted)).toEqual({ host: "203.0.113.7" });
  });

  it("joins repeated headers in order", () => {
    const headers = { "x-forwarded-for": ["203.0.113.7", "10.0.0.5"] };
    expect(forwardedClient("127.0.0.1", headers, trusted)).toEqual({ host: "203.0.113.7" });
  });

  it("reads RFC 7239 Forwarded, with quoted IPv6 and port, in preference to X-Forwarded-For", () => {
    const headers = {
      forwarded: 'for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.5',
      "x-forwarded-for": "198.51.100.99",
    };
    expect(forwardedClient("127.0.0.1", headers, trusted)).toEqual({ host: "2001:db8:cafe::17", port: 4711 });
    expect(
      forwardedClient("127.0.0.1", { forwarded: "for=192.0.2.60;proto=http;by=203.0.113.43" }, trusted),
    ).toEqual({ host: "192.0.2.60" });
  });

  it("stops at an entry that is not an address (unknown, obfuscated, garbage)", () => {
    expect(forwardedClient("127.0.0.1", { forwarded: "for=unknown" }, trusted)).toBeUndefined();
    expect(forwardedClient("127.0.0.1", { forwarded: "for=_hidden, for=10.0.0.5" }, trusted)).toEqual({
      host: "10.0.0.5",
    });
    expect(forwardedClient("127.0.0.1", { "x-forwarded-for": "not-an-ip" }, trusted)).toBeUndefined();
  });

  it("keeps the peer when a trusted proxy sends no header", () => {
    expect(forwardedClient("127.0.0.1", {}, trusted)).toBeUndefined();
  });
});
