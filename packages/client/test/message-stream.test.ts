import { describe, expect, it } from "vitest";
import { AbortError } from "../src/index.js";
import { startOurBroker } from "./helpers/brokers.js";
import { newClient, text } from "./helpers/clients.js";

/** A connected publisher and a connected subscriber of `filter` (QoS 1) on our broker. */
async function pair(filter: string) {
  const { url } = await startOurBroker();
  const sub = newClient();
  const pub = newClient();
  await sub.connect(url);
  await pub.connect(url);
  await sub.subscribe([[filter, 1]]);
  return { sub, pub };
}

/** Wait until `n` messages sit in the subscriber's delivery queue. */
async function queued(client: { deliveryQueueLength: number }, n: number): Promise<void> {
  for (let i = 0; i < 500 && client.deliveryQueueLength < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(client.deliveryQueueLength).toBe(n);
}

describe("messages(): the async iterable of received messages", () => {
  it("yields the messages queued before it, then those that arrive while it waits, in order", async () => {
    const { sub, pub } = await pair("m/#");
    for (const n of [1, 2]) await pub.publish(`m/${n}`, `early ${n}`, { qos: 1 });
    await queued(sub, 2);
    const got: string[] = [];
    let late: Promise<unknown> | undefined;
    for await (const m of sub.messages()) {
      got.push(text(m.data));
      if (got.length === 2) late = pub.publish("m/3", "late", { qos: 1 });
      if (got.length === 3) break;
    }
    await late;
    expect(got).toEqual(["early 1", "early 2", "late"]);
  });

  it("leaves nothing behind after a break: the next message goes to deliverMessage", async () => {
    const { sub, pub } = await pair("b/#");
    const iterator = sub.messages()[Symbol.asyncIterator]();
    const waiting = iterator.next();
    expect(await iterator.return?.(undefined)).toEqual({ done: true, value: undefined });
    expect(await waiting).toEqual({ done: true, value: undefined });
    await pub.publish("b/1", "after", { qos: 1 });
    const m = await sub.deliverMessage({ timeout: 5 });
    expect(text(m.data)).toBe("after");
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it("takes only messages matching its filter and leaves the others queued", async () => {
    const { sub, pub } = await pair("f/#");
    await pub.publish("f/other", "skip", { qos: 1 });
    await pub.publish("f/keep/1", "keep", { qos: 1 });
    const iterator = sub.messages("f/keep/#")[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done === false && first.value.topic).toBe("f/keep/1");
    await iterator.return?.(undefined);
    expect((await sub.deliverMessage({ timeout: 5 })).topic).toBe("f/other");
  });

  it("reads what was queued before disconnect(), then ends", async () => {
    const { sub, pub } = await pair("d/#");
    await pub.publish("d/1", "kept", { qos: 1 });
    await queued(sub, 1);
    await sub.disconnect();
    const got: string[] = [];
    for await (const m of sub.messages()) got.push(text(m.data));
    expect(got).toEqual(["kept"]);
  });

  it("throws AbortError when its signal aborts while it waits, and when it was aborted before", async () => {
    const { sub, pub } = await pair("a/#");
    const controller = new AbortController();
    const iterator = sub.messages(undefined, { signal: controller.signal })[Symbol.asyncIterator]();
    const waiting = iterator.next();
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    // The abandoned wait took nothing: the message is still there for deliverMessage.
    await pub.publish("a/1", "still here", { qos: 1 });
    expect(text((await sub.deliverMessage({ timeout: 5 })).data)).toBe("still here");
    const aborted = sub.messages(undefined, { signal: controller.signal })[Symbol.asyncIterator]();
    await expect(aborted.next()).rejects.toBeInstanceOf(AbortError);
  });

  it("answers overlapping next() calls in turn, one message each", async () => {
    const { sub, pub } = await pair("o/#");
    const iterator = sub.messages()[Symbol.asyncIterator]();
    const a = iterator.next();
    const b = iterator.next();
    await pub.publish("o/1", "one", { qos: 1 });
    await pub.publish("o/2", "two", { qos: 1 });
    const [ra, rb] = await Promise.all([a, b]);
    expect([ra.done === false && text(ra.value.data), rb.done === false && text(rb.value.data)]).toEqual([
      "one",
      "two",
    ]);
  });
});
