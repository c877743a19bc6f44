import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";

/** The part of an MQTT.js client the topic-list check drives (kept structural: no mqtt dependency here). */
export interface TopicListClient {
  subscribeAsync(filter: string): Promise<{ qos: number }[]>;
  publishAsync(topic: string, payload: string, options: { qos: 1 }): Promise<unknown>;
  on(event: "message", listener: (topic: string, payload: Uint8Array) => void): unknown;
}

/**
 * Checks, through a connected client of user "alice", that an ACL plugin enforces
 * three topic lists: subscribe `sensors/#` (and nothing else), publish to
 * `sensors/alice/#` and `sensors/bob/#`, receive from `sensors/alice/#` and
 * `sensors/carol/#`. Only the message both publishable and receivable arrives.
 * A SUBACK 0x80 for a filter no list covers [MQTT-3.9.3-2] makes mqtt.js reject.
 */
export async function expectAliceTopicLists(client: TopicListClient): Promise<void> {
  strictEqual((await client.subscribeAsync("sensors/#"))[0]?.qos, 0);
  await rejects(client.subscribeAsync("other/#"), /Unspecified error/);
  const got: string[] = [];
  const first = new Promise<void>((resolve) =>
    client.on("message", (topic, payload) => {
      got.push(`${topic} ${payload}`);
      resolve();
    }),
  );
  // Receivable but not publishable: dropped at publish.
  await client.publishAsync("sensors/carol/x", "not publishable", { qos: 1 });
  // Publishable but not receivable: not delivered.
  await client.publishAsync("sensors/bob/x", "not receivable", { qos: 1 });
  await client.publishAsync("sensors/alice/t", "21", { qos: 1 });
  await first;
  deepStrictEqual(got, ["sensors/alice/t 21"]);
}
