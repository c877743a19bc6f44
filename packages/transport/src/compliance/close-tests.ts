import { expect, it } from "vitest";
import { CloseTimeoutError } from "../errors.js";
import type { SuiteContext } from "./harness.js";
import { firstDifference, pattern, Reader, sendUntil, tick } from "./helpers.js";

/** Ending a connection, from either side, gracefully or not. */
export function closeTests(context: SuiteContext): void {
  it("close() by the dialer ends the accepted side's input and resolves closed on both sides", async () => {
    const { client, server } = await context.pair();
    client.close();
    expect(client.isClosed).toBe(true);
    expect((await new Reader(server).readToEnd()).length).toBe(0);
    expect(await client.closed).toEqual({ initiator: "local", error: undefined });
    expect(await server.closed).toMatchObject({ initiator: "remote" });
  });

  it("close() by the accepted side ends the dialer's input and resolves closed on both sides", async () => {
    const { client, server } = await context.pair();
    server.close();
    expect((await new Reader(client).readToEnd()).length).toBe(0);
    expect(await server.closed).toEqual({ initiator: "local", error: undefined });
    expect(await client.closed).toMatchObject({ initiator: "remote" });
  });

  it("close() delivers every byte sent before it", async () => {
    const { client, server } = await context.pair();
    const payload = pattern(1024 * 1024, 3);
    client.send(payload);
    client.close();
    const received = await new Reader(server).readToEnd();
    expect(firstDifference(received, payload)).toBe(-1);
    expect((await client.closed).error).toBeUndefined();
  });

  it("close(reason) reports the reason in closed", async () => {
    const { client } = await context.pair();
    const reason = new Error("protocol error");
    client.close(reason);
    expect(await client.closed).toEqual({ initiator: "local", error: reason });
  });

  it("abort(reason) closes at once with that reason, and the peer sees a remote close", async () => {
    const { client, server } = await context.pair();
    const reason = new Error("gone");
    client.abort(reason);
    expect(await client.closed).toEqual({ initiator: "local", error: reason });
    expect((await server.closed).initiator).toBe("remote");
  });

  it("send after close returns false, and a second close or a later abort changes nothing", async () => {
    const { client } = await context.pair();
    client.close();
    expect(client.send(new Uint8Array([1]))).toBe(false);
    client.close(new Error("second"));
    expect(await client.closed).toEqual({ initiator: "local", error: undefined });
    client.abort(new Error("third"));
    expect(await client.closed).toEqual({ initiator: "local", error: undefined });
    expect(client.bufferedBytes).toBe(0);
  });

  it("leaving a for-await loop early closes the connection", async () => {
    const { client, server } = await context.pair();
    client.send(new Uint8Array([1, 2, 3]));
    for await (const chunk of server) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(server.isClosed).toBe(true);
    expect((await client.closed).initiator).toBe("remote");
  });

  it("close() that cannot flush within closeTimeoutMs aborts with CloseTimeoutError", async () => {
    const { client } = await context.pair({ client: { closeTimeoutMs: 50 } });
    // The accepted side never reads: fill every buffer until bytes stay queued here.
    await sendUntil(client, 64 * 1024, 256 * 1024 * 1024, () => client.bufferedBytes > 0);
    await tick();
    expect(client.bufferedBytes).toBeGreaterThan(0);
    client.close();
    const info = await client.closed;
    expect(info.initiator).toBe("local");
    expect(info.error).toBeInstanceOf(CloseTimeoutError);
  });
}
