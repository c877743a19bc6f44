import { describe, expect, it } from "vitest";
import { connect, nothingMore, startMosq, startOurs, take, text } from "./helpers/world.js";

describe("Mosquitto's own bridge (3.1.1, try_private: the bridge bit) with ours as the remote", () => {
  it("carries both ways once, with no echo and retained flags kept", async () => {
    const ours = await startOurs();
    const site = await startMosq({
      config: [
        "connection central",
        `address 127.0.0.1:${ours.port}`,
        "bridge_protocol_version mqttv311",
        "try_private true",
        "cleansession true",
        "topic x/# both 1",
      ],
    });
    const oursSub = await connect(ours.url, { protocolVersion: 4 });
    await oursSub.subscribe([["x/#", 1]]);
    const siteSub = await connect(site.url, { protocolVersion: 4 });
    await siteSub.subscribe([["x/#", 1]]);
    const sitePub = await connect(site.url, { protocolVersion: 4 });
    const oursPub = await connect(ours.url, { protocolVersion: 4 });
    // Mosquitto connects its bridge in the background: wait until a probe crosses.
    for (;;) {
      await sitePub.publish("x/probe", "?", { qos: 1 });
      if (
        await oursSub.deliverMessage({ timeout: 0.3 }).then(
          () => true,
          () => false,
        )
      )
        break;
    }
    // The probes reached both subscribers: read them all before the real messages.
    while (!(await nothingMore(siteSub, 200)));
    while (!(await nothingMore(oursSub, 200)));

    await sitePub.publish("x/from-site", "s", { qos: 1, retain: true });
    await oursPub.publish("x/from-ours", "o", { qos: 1 });
    const atOurs = await take(oursSub, 2);
    const atSite = await take(siteSub, 2);
    expect(atOurs.map((m) => `${m.topic}=${text(m)}`).sort()).toEqual(["x/from-ours=o", "x/from-site=s"]);
    expect(atSite.map((m) => `${m.topic}=${text(m)}`).sort()).toEqual(["x/from-ours=o", "x/from-site=s"]);
    expect(await nothingMore(oursSub, 500)).toBe(true);
    expect(await nothingMore(siteSub, 100)).toBe(true);
    // Retained at ours with its flag (the bridge's subscription got Retain As Published).
    const late = await connect(ours.url, { protocolVersion: 4 });
    await late.subscribe([["x/from-site", 1]]);
    const [kept] = await take(late, 1);
    expect([kept && text(kept), kept?.retain]).toEqual(["s", true]);
  });
});
