import { describe, expect, it } from "vitest";
import { AddressMatcher, formatIpv6, InvalidAddressRangeError, parseIp } from "../../src/index.js";

describe("AddressMatcher", () => {
  const trusted = new AddressMatcher(["127.0.0.1", "10.0.0.0/8", "192.168.4.0/22", "fd00::/8", "::1"]);

  it.each([
    ["127.0.0.1", true],
    ["127.0.0.2", false],
    ["10.255.0.9", true],
    ["11.0.0.1", false],
    ["192.168.7.255", true],
    ["192.168.8.0", false],
    ["192.168.3.255", false],
    ["fd12:3456::1", true],
    ["fe80::1", false],
    ["::1", true],
    ["::2", false],
  ])("says %s is trusted: %s", (address, expected) => {
    expect(trusted.matches(address)).toBe(expected);
  });

  it("matches the IPv4-mapped form a dual-stack socket reports against IPv4 ranges", () => {
    expect(trusted.matches("::ffff:10.1.2.3")).toBe(true);
    expect(trusted.matches("::ffff:11.1.2.3")).toBe(false);
  });

  it("matches nothing that is not an address, and nothing when empty", () => {
    expect(trusted.matches(undefined)).toBe(false);
    expect(trusted.matches("localhost")).toBe(false);
    expect(new AddressMatcher([]).matches("127.0.0.1")).toBe(false);
  });

  it("takes /0 as everything of its family", () => {
    const v4 = new AddressMatcher(["0.0.0.0/0"]);
    expect(v4.matches("203.0.113.9")).toBe(true);
    expect(v4.matches("2001:db8::1")).toBe(false);
    expect(new AddressMatcher(["::/0"]).matches("2001:db8::1")).toBe(true);
  });

  it.each(["10.0.0.0/33", "fd00::/129", "10.0.0/8", "example.com", "1::2::3", "10.0.0.0/x", "010.0.0.1"])(
    "refuses %s with InvalidAddressRangeError",
    (range) => {
      let caught: unknown;
      try {
        new AddressMatcher([range]);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidAddressRangeError);
      expect((caught as InvalidAddressRangeError).name).toBe("InvalidAddressRangeError");
      expect((caught as InvalidAddressRangeError).range).toBe(range);
    },
  );
});

describe("IP text", () => {
  it.each([
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["::ffff:7f00:1", "::ffff:127.0.0.1"],
    ["FE80::1%eth0", "fe80::1"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
  ])("formats %s as %s (RFC 5952)", (text, expected) => {
    expect(formatIpv6(parseIp(text)!)).toBe(expected);
  });

  it.each(["1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "12345::", ":::", "1.2.3", "::1.2.3.999"])(
    "refuses %s",
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );
});
