import { describe, expect, it } from "vitest";
import { startBroker } from "../tcp.js";
import { bystanders, RawClient } from "./raw-client.js";

const STORM = 500;

describe("a CONNECT storm", () => {
  it("of 500 connections opened at once, half of them silent, does not stop established clients, and the broker closes the silent ones after the connect timeout", async () => {
    // 3 s, not 1: on a loaded 2-core CI machine a talking client's CONNECT can wait
    // over a second behind the storm's accepts, and must not be taken for silent.
    const { port, url, broker } = await startBroker({ connect_timeout: 3 });
    const others = await bystanders(url);
    const opening = Array.from({ length: STORM }, (_, i) =>
      i % 2 === 0 ? RawClient.connected(port, 4, `storm-${i}`) : RawClient.open(port, 4),
    );
    // Established clients keep their round trips while the storm arrives.
    for (let i = 0; i < 5; i++) await others.roundTrip(`during-${i}`);
    const storm = await Promise.all(opening);
    const talking = storm.filter((_, i) => i % 2 === 0);
    const silent = storm.filter((_, i) => i % 2 === 1);
    expect(broker.stats().clientsConnected).toBeGreaterThanOrEqual(talking.length);
    await Promise.all(silent.map((raw) => raw.waitClosed(8000)));
    // A silent connection got nothing, not even a CONNACK.
    expect(silent.flatMap((raw) => raw.packets)).toEqual([]);
    // The ones that connected stay connected (keep alive 0: no deadline applies to them).
    expect(talking.filter((raw) => raw.socket.destroyed)).toEqual([]);
    await others.roundTrip("after");
  });
});
