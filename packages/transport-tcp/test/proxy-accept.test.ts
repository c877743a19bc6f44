import { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { ProxyAcceptor } from "../src/proxy-accept.js";

describe("ProxyAcceptor", () => {
  it("drops a socket that reset before it was looked at (no peer address) without reporting an untrusted proxy", () => {
    const refused: unknown[] = [];
    const acceptor = new ProxyAcceptor({ trusted: ["127.0.0.1"], onRefused: (e) => refused.push(e) });
    // An unconnected socket has no remoteAddress, as a reset accepted socket does.
    const gone = new Socket();
    let handedOn = false;
    acceptor.accept(gone, "tcp", () => (handedOn = true));
    expect(gone.destroyed).toBe(true);
    expect(handedOn).toBe(false);
    expect(refused).toEqual([]);
    expect(acceptor.pending).toBe(0);
  });
});
