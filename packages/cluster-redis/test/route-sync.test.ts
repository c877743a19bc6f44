import { RouteSyncTimeoutError } from "@amqtt/cluster";
import { describe, expect, it } from "vitest";
import { MAX_ROUTE_WAITERS, RouteConfirmations } from "../src/route-sync.js";

// The route-version barrier on its own (the end-to-end guarantee on a real
// redis-server is tested in packages/cli/test/cluster-route-sync.test.ts).

describe("RouteConfirmations", () => {
  it("resolves once every named node confirmed the change's sequence number or a later one", async () => {
    const barrier = new RouteConfirmations(5_000);
    const seq = barrier.next();
    let done = false;
    const waiting = barrier.wait(seq, ["b", "c"]).then(() => {
      done = true;
    });
    barrier.confirm("b", seq);
    await Promise.resolve();
    expect(done).toBe(false);
    // A later number confirms the earlier ones (one publisher's pub/sub order is kept).
    barrier.confirm("c", seq + 3);
    await waiting;
    expect(done).toBe(true);
    expect(barrier.waiting).toBe(0);
  });

  it("resolves at once when nobody else is live, or every node confirmed already", async () => {
    const barrier = new RouteConfirmations(5_000);
    await barrier.wait(barrier.next(), []);
    const seq = barrier.next();
    barrier.confirm("b", seq);
    await barrier.wait(seq, ["b"]);
    expect(barrier.waiting).toBe(0);
  });

  it("stops waiting for a node that went down", async () => {
    const barrier = new RouteConfirmations(5_000);
    const waiting = barrier.wait(barrier.next(), ["b"]);
    barrier.forget("b");
    await waiting;
    expect(barrier.waiting).toBe(0);
  });

  it("rejects with RouteSyncTimeoutError naming the nodes that did not confirm within the timeout", async () => {
    const barrier = new RouteConfirmations(30);
    const seq = barrier.next();
    const waiting = barrier.wait(seq, ["b", "c"]);
    barrier.confirm("b", seq);
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RouteSyncTimeoutError);
    expect((error as RouteSyncTimeoutError).name).toBe("RouteSyncTimeoutError");
    expect((error as RouteSyncTimeoutError).nodes).toEqual(["c"]);
    expect(barrier.waiting).toBe(0);
  });

  it(`holds at most maxWaiters waiters (default ${MAX_ROUTE_WAITERS}); one more is refused at once`, async () => {
    const barrier = new RouteConfirmations(5_000, 3);
    const held = [1, 2, 3].map(() => barrier.wait(barrier.next(), ["b"]));
    expect(barrier.waiting).toBe(3);
    const error = await barrier.wait(barrier.next(), ["b"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RouteSyncTimeoutError);
    expect(barrier.waiting).toBe(3);
    barrier.close();
    const closed = await Promise.allSettled(held);
    expect(closed.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(barrier.waiting).toBe(0);
  });
});
