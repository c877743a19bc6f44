import { describe, expect, it } from "vitest";
import {
  AbortError,
  ClientError,
  ClosedError,
  IncomingApplicationMessage,
  type MQTTClient,
  OutgoingApplicationMessage,
  TimeoutError,
} from "../src/index.js";
import { startOurBroker } from "./helpers/brokers.js";
import { newClient, text } from "./helpers/clients.js";

/** Our broker and two fresh clients of it (not connected yet), all stopped after the test. */
async function brokerAndTwoClients(): Promise<{ url: string; sub: MQTTClient; pub: MQTTClient }> {
  const { url } = await startOurBroker();
  return { url, sub: newClient(), pub: newClient() };
}

describe("MQTTClient against our broker over TCP", () => {
  it("connects, returns the CONNACK code 0 and round-trips QoS 0, 1 and 2 messages", async () => {
    const { url, sub, pub } = await brokerAndTwoClients();
    expect(await sub.connect(url)).toBe(0);
    expect(await pub.connect(url)).toBe(0);
    expect(await sub.subscribe([["a/#", 2]])).toEqual([2]);
    for (const qos of [0, 1, 2] as const) {
      const out = await pub.publish(`a/${qos}`, `hello ${qos}`, { qos });
      expect(out).toBeInstanceOf(OutgoingApplicationMessage);
      expect(out.qos).toBe(qos);
      if (qos > 0) expect(out.packetId).toBeGreaterThan(0);
      const msg = await sub.deliverMessage({ timeout: 5 });
      expect(msg).toBeInstanceOf(IncomingApplicationMessage);
      expect([msg.topic, text(msg.data), msg.qos]).toEqual([`a/${qos}`, `hello ${qos}`, qos]);
    }
  });

  it("iterates messages matching a filter with for await, and ends the loop on disconnect", async () => {
    const { url } = await startOurBroker();
    const client = newClient();
    await client.connect(url);
    await client.subscribe([["x/#", 1]]);
    const seen: string[] = [];
    const loop = (async () => {
      for await (const m of client.messages("x/keep/#")) {
        seen.push(m.topic);
        if (seen.length === 2) await client.disconnect();
      }
    })();
    await client.publish("x/skip", "1", { qos: 1 });
    await client.publish("x/keep/1", "2", { qos: 1 });
    await client.publish("x/keep/2", "3", { qos: 1 });
    await loop;
    expect(seen).toEqual(["x/keep/1", "x/keep/2"]);
    expect(client.state).toBe("closed");
  });

  it("rejects deliverMessage with TimeoutError when nothing arrives in time", async () => {
    const { url } = await startOurBroker();
    const client = newClient();
    await client.connect(url);
    await expect(client.deliverMessage({ timeout: 0.05 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it("honours an explicit retain: false over default_retain: true (aMQTT QUIRK fixed)", async () => {
    const { url } = await startOurBroker();
    const pub = newClient({ default_retain: true, topics: { "r/t": { retain: true } } });
    await pub.connect(url);
    await pub.publish("r/t", "not retained", { qos: 1, retain: false });
    await pub.publish("r/d", "retained by default", { qos: 1 });
    const sub = newClient();
    await sub.connect(url);
    await sub.subscribe([["r/#", 1]]);
    const msg = await sub.deliverMessage({ timeout: 5 });
    expect([msg.topic, msg.retain]).toEqual(["r/d", true]);
    await expect(sub.deliverMessage({ timeout: 0.1 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it("uses per-topic QoS from the topics config when the call gives none", async () => {
    const { url } = await startOurBroker();
    const client = newClient({ topics: { "q/two": { qos: 2 } }, default_qos: 1 });
    await client.connect(url);
    expect((await client.publish("q/two", "x")).qos).toBe(2);
    expect((await client.publish("q/other", "x")).qos).toBe(1);
  });

  it("unsubscribes and answers a ping", async () => {
    const { url } = await startOurBroker();
    const client = newClient();
    await client.connect(url);
    await client.subscribe([["u/1", 0]]);
    await client.unsubscribe(["u/1"]);
    await client.ping();
    await client.publish("u/1", "x", { qos: 1 });
    await expect(client.deliverMessage({ timeout: 0.1 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it("rejects calls with AbortError when their signal aborts, and with ClientError before connect", async () => {
    const { url } = await startOurBroker();
    const client = newClient();
    await expect(client.publish("t", "x")).rejects.toBeInstanceOf(ClientError);
    await client.connect(url);
    const controller = new AbortController();
    const waiting = client.deliverMessage({ signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    await expect(client.publish("t", "x", { qos: 3 as 1 })).rejects.toBeInstanceOf(ClientError);
    await expect(client.publish("t/+", "x")).rejects.toBeInstanceOf(ClientError);
  });

  it("settles every waiting promise with ClosedError on disconnect()", async () => {
    const { url } = await startOurBroker();
    const client = newClient();
    await client.connect(url);
    const delivery = client.deliverMessage();
    const iterator = client.messages()[Symbol.asyncIterator]().next();
    await client.disconnect();
    await expect(delivery).rejects.toBeInstanceOf(ClosedError);
    expect(await iterator).toEqual({ done: true, value: undefined });
    await expect(client.publish("t", "x")).rejects.toBeInstanceOf(ClientError);
  });

  it("speaks MQTT 5.0: user properties travel and the publish resolves with the PUBACK", async () => {
    const { url } = await startOurBroker();
    const sub = newClient({ protocolVersion: 5 });
    const pub = newClient({ protocolVersion: 5 });
    await sub.connect(url);
    await pub.connect(url);
    await sub.subscribe([{ topicFilter: "v5/#", qos: 1, noLocal: true }]);
    await pub.publish("v5/a", "p", { qos: 1, properties: { userProperties: [["k", "v"]] } });
    const msg = await sub.deliverMessage({ timeout: 5 });
    expect(msg.properties.userProperties).toEqual([["k", "v"]]);
  });

  it("keeps to the broker's Receive Maximum when many QoS 1 publishes are fired at once (section 4.9, [MQTT-4.9.0-1])", async () => {
    // Our broker refuses a client over its Receive Maximum with DISCONNECT 0x93: one too many ends the connection.
    const { url } = await startOurBroker({ config: { receive_maximum: 3 } });
    const client = newClient({ protocolVersion: 5, auto_reconnect: false });
    let lost = false;
    client.on("disconnected", () => {
      lost = true;
    });
    await client.connect(url);
    const sent = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.publish(`rm/${i}`, String(i), { qos: 1 })),
    );
    expect(sent.map((m) => m.topic)).toEqual(Array.from({ length: 50 }, (_, i) => `rm/${i}`));
    expect(lost).toBe(false);
  });

  it("connects over WebSocket (ws://)", async () => {
    const { wsUrl } = await startOurBroker({ ws: true });
    const client = newClient();
    expect(await client.connect(wsUrl)).toBe(0);
    await client.subscribe([["w", 1]]);
    await client.publish("w", "over ws", { qos: 1 });
    expect(text((await client.deliverMessage({ timeout: 5 })).data)).toBe("over ws");
  });

  it("restores its subscriptions after a reconnect that lost the session (aMQTT QUIRK #149 fixed)", async () => {
    const first = await startOurBroker();
    const port = Number(new URL(first.url).port);
    const client = newClient({ cleansession: true });
    await client.connect(first.url);
    await client.subscribe([["re/#", 1]]);
    const reconnected = client.once("connected");
    await first.stop();
    const second = await startOurBroker({ port });
    expect(await reconnected).toEqual({ sessionPresent: false, reconnect: true });
    const other = newClient();
    await other.connect(second.url);
    // The resubscription goes out right after CONNACK; poll with QoS 1 publishes until one arrives.
    for (;;) {
      await other.publish("re/1", "back", { qos: 1 });
      const got = await client.deliverMessage({ timeout: 0.2 }).catch(() => undefined);
      if (got !== undefined) {
        expect(text(got.data)).toBe("back");
        break;
      }
    }
  });
});
