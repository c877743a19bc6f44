import { describe, expect, it } from "vitest";
import { bridge, connect, nothingMore, startMosq, startOurs, take, text, until } from "./helpers/world.js";

describe.each([
  ["ours", 5],
  ["ours", 4],
  ["mosquitto", 5],
  ["mosquitto", 4],
] as const)("one bridge with a `both` topic to %s over level %s", (kind, protocolVersion) => {
  it("carries each message once each way and never back to where it came from", async () => {
    const far = kind === "ours" ? await startOurs() : await startMosq();
    const site = await startOurs();
    const bridges = await bridge(site.broker, [
      {
        name: "central",
        address: `127.0.0.1:${far.port}`,
        protocol_version: protocolVersion,
        topics: [{ filter: "x/#", direction: "both", qos: 1 }],
      },
    ]);
    await until(bridges, (s) => s.connected);
    const siteSub = await connect(site.url, { protocolVersion });
    await siteSub.subscribe([["x/#", 1]]);
    const farSub = await connect(far.url, { protocolVersion });
    await farSub.subscribe([["x/#", 1]]);
    const sitePub = await connect(site.url, { protocolVersion });
    const farPub = await connect(far.url, { protocolVersion });

    await sitePub.publish("x/from-site", "s", { qos: 1 });
    await farPub.publish("x/from-far", "f", { qos: 1 });
    const atSite = await take(siteSub, 2);
    const atFar = await take(farSub, 2);
    expect(atSite.map((m) => `${m.topic}=${text(m)}`).sort()).toEqual(["x/from-far=f", "x/from-site=s"]);
    expect(atFar.map((m) => `${m.topic}=${text(m)}`).sort()).toEqual(["x/from-far=f", "x/from-site=s"]);
    expect(await nothingMore(siteSub, 500)).toBe(true);
    expect(await nothingMore(farSub, 100)).toBe(true);
    expect(bridges.status()[0]).toMatchObject({ messagesIn: 1, messagesOut: 1 });
  });
});

describe.each([5, 4] as const)(
  "two of our brokers bridging x/# out to each other over level %s",
  (protocolVersion) => {
    it("stop a message after one round: the far side gets it once, no loop", async () => {
      const a = await startOurs();
      const b = await startOurs();
      const entry = (name: string, port: number) => ({
        name,
        address: `127.0.0.1:${port}`,
        protocol_version: protocolVersion,
        // 3.1.1 carries no hop list: the echo guard recognises our own message coming back locally.
        ...(protocolVersion === 4 ? { echo_guard: "both" } : {}),
        topics: [{ filter: "x/#", direction: "out", qos: 1 }],
      });
      const atA = await bridge(a.broker, [entry("to-b", b.port)]);
      const atB = await bridge(b.broker, [entry("to-a", a.port)]);
      await until(atA, (s) => s.connected);
      await until(atB, (s) => s.connected);
      const subA = await connect(a.url, { protocolVersion });
      await subA.subscribe([["x/#", 1]]);
      const subB = await connect(b.url, { protocolVersion });
      await subB.subscribe([["x/#", 1]]);
      const pubA = await connect(a.url, { protocolVersion });

      await pubA.publish("x/1", "one", { qos: 1 });
      expect(text((await take(subB, 1))[0] as never)).toBe("one");
      // B's bridge carries it back to A once (it cannot tell A's bridge from a client); A's stops it there.
      expect((await take(subA, 2)).map(text)).toEqual(["one", "one"]);
      await until(atA, (s) => s.loopsPrevented === 1);
      expect(await nothingMore(subB, 500)).toBe(true);
      expect(await nothingMore(subA, 100)).toBe(true);
      expect(atA.status()[0]).toMatchObject({ messagesOut: 1, loopsPrevented: 1 });
      expect(atB.status()[0]).toMatchObject({ messagesOut: 1, loopsPrevented: 0 });
    });
  },
);

describe("3.1.1 to mosquitto without the echo guard", () => {
  const setup = async (tryPrivate: boolean) => {
    const far = await startMosq();
    const site = await startOurs();
    const bridges = await bridge(site.broker, [
      {
        name: "central",
        address: `127.0.0.1:${far.port}`,
        protocol_version: 4,
        try_private: tryPrivate,
        echo_guard: "off",
        topics: [{ filter: "x/#", direction: "both", qos: 1 }],
      },
    ]);
    await until(bridges, (s) => s.connected);
    const siteSub = await connect(site.url, { protocolVersion: 4 });
    await siteSub.subscribe([["x/#", 1]]);
    const sitePub = await connect(site.url, { protocolVersion: 4 });
    await sitePub.publish("x/1", "once", { qos: 1 });
    return { bridges, siteSub };
  };

  it("the bridge bit (try_private) makes mosquitto keep our own messages from us", async () => {
    const { bridges, siteSub } = await setup(true);
    expect((await take(siteSub, 1)).map(text)).toEqual(["once"]);
    await until(bridges, (s) => s.messagesOut === 1);
    expect(await nothingMore(siteSub, 500)).toBe(true);
    expect(bridges.status()[0]).toMatchObject({ messagesIn: 0, loopsPrevented: 0 });
  });

  it("without the bit mosquitto sends our message back (what the echo guard is for)", async () => {
    const { bridges, siteSub } = await setup(false);
    await until(bridges, (s) => s.messagesIn >= 1);
    expect((await take(siteSub, 2)).map(text)).toEqual(["once", "once"]);
  });
});
