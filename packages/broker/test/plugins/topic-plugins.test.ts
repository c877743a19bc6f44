import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  AclFileError,
  createTopicAclPlugin,
  createTopicTabooPlugin,
  filterCovers,
  parseAclFile,
  substitute,
} from "../../src/plugins/index.js";
import type { BrokerPlugin, ClientInfo } from "../../src/plugins/types.js";
import { client, context, message } from "./helpers.js";

const alice = () => client({ username: "alice", clientId: "alice-phone" });
const nobody = () => client({ username: undefined, clientId: "dev-7" });

function can(plugin: BrokerPlugin, who: ClientInfo) {
  return {
    publish: (topic: string) => plugin.authorizePublish?.(who, message(topic)),
    subscribe: (filter: string) => plugin.authorizeSubscribe?.(who, filter, 0),
    receive: (topic: string) => plugin.authorizeReceive?.(who, message(topic)),
  };
}

describe("topic-taboo (aMQTT's TopicTabooPlugin)", () => {
  const plugin = createTopicTabooPlugin();

  it.each(["prohibited", "top-secret", "data/classified"])(
    "denies publish, subscribe and receive on %s",
    (topic) => {
      const c = can(plugin, alice());
      expect([c.publish(topic), c.subscribe(topic), c.receive(topic)]).toEqual([false, false, false]);
    },
  );

  it("lets user admin use the taboo topics", () => {
    const c = can(plugin, client({ username: "admin" }));
    expect([c.publish("top-secret"), c.subscribe("top-secret"), c.receive("top-secret")]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("matches exactly, so wildcards and subtopics pass as in aMQTT", () => {
    const c = can(plugin, alice());
    expect([c.subscribe("#"), c.publish("data/classified/x"), c.publish("prohibited2")]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("sees through a 5.0 shared subscription's prefix, but not a 3.1.1 one", () => {
    expect(can(plugin, alice()).subscribe("$share/g/top-secret")).toBe(false);
    expect(
      can(plugin, client({ username: "alice", protocolVersion: 4 })).subscribe("$share/g/top-secret"),
    ).toBe(undefined);
  });
});

describe("topic-acl: aMQTT's lists", () => {
  const plugin = createTopicAclPlugin(
    context({
      acl: { alice: ["sensors/+/temp", "alerts/#"], anonymous: ["public/#"] },
      publish_acl: { alice: ["sensors/alice/#"], anonymous: [] },
    }),
  );

  it("allows what a user's filters match, with + and # wildcards", () => {
    const c = can(plugin, alice());
    expect([
      c.subscribe("sensors/kitchen/temp"),
      c.subscribe("alerts"),
      c.subscribe("alerts/fire/1"),
    ]).toEqual([true, true, true]);
    expect(c.publish("sensors/alice/x/y")).toBe(true);
  });

  it("denies what no filter of the user matches", () => {
    const c = can(plugin, alice());
    expect([c.subscribe("sensors/kitchen/humidity"), c.publish("sensors/bob/x")]).toEqual([0x80, false]);
  });

  it("looks up clients without a user name as anonymous", () => {
    const c = can(plugin, nobody());
    expect([c.subscribe("public/news"), c.subscribe("alerts/x"), c.publish("public/news")]).toEqual([
      true,
      0x80,
      false,
    ]);
  });

  it("denies a user absent from a present list", () => {
    expect(can(plugin, client({ username: "bob" })).subscribe("public/news")).toBe(0x80);
  });

  it("allows an action whose list is missing (receive here)", () => {
    expect(can(plugin, client({ username: "bob" })).receive("anything")).toBeUndefined();
  });

  it("allows every subscription when acl is missing (fixes aMQTT's QUIRK that denies them all)", () => {
    const onlyPublish = createTopicAclPlugin(context({ publish_acl: { alice: ["a"] } }));
    expect(can(onlyPublish, alice()).subscribe("anything/#")).toBeUndefined();
  });

  it("grants a wildcard subscription only where the ACL covers all of it", () => {
    const c = can(plugin, alice());
    expect(c.subscribe("sensors/+/temp")).toBe(true);
    expect(c.subscribe("alerts/+/x")).toBe(true);
    expect(c.subscribe("sensors/#")).toBe(0x80);
    expect(c.subscribe("#")).toBe(0x80);
  });

  it("merges subscribe_acl into acl and honours receive_acl", () => {
    const merged = createTopicAclPlugin(
      context({ acl: { alice: ["a"] }, subscribe_acl: { alice: ["b"] }, receive_acl: { alice: ["a"] } }),
    );
    const c = can(merged, alice());
    expect([c.subscribe("a"), c.subscribe("b"), c.receive("a"), c.receive("b")]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });
});

describe("topic-acl: refused SUBSCRIBE reason code", () => {
  it("gives 0x87 Not authorized to 5.0 clients when configured", () => {
    const plugin = createTopicAclPlugin(context({ acl: { alice: [] }, subscribe_refusal_code: 0x87 }));
    expect(can(plugin, alice()).subscribe("x")).toBe(0x87);
  });

  it("leaves 3.1.1 clients a plain denial, which the broker sends as 0x80 Failure", () => {
    const plugin = createTopicAclPlugin(context({ acl: { alice: [] }, subscribe_refusal_code: 0x87 }));
    expect(can(plugin, client({ username: "alice", protocolVersion: 4 })).subscribe("x")).toBe(false);
  });
});

describe("topic-acl: %u and %c", () => {
  const plugin = createTopicAclPlugin(
    context({
      publish_acl: { alice: ["users/%u/#", "devices/%c/out"], anonymous: ["users/%u/#", "devices/%c/out"] },
    }),
  );

  it("substitutes the user name and the client id", () => {
    const c = can(plugin, alice());
    expect([c.publish("users/alice/x"), c.publish("devices/alice-phone/out")]).toEqual([true, true]);
    expect([c.publish("users/bob/x"), c.publish("devices/other/out")]).toEqual([false, false]);
  });

  it("never matches %u for a client without a user name", () => {
    const c = can(plugin, nobody());
    expect(c.publish("users//x")).toBe(false);
    expect(c.publish("devices/dev-7/out")).toBe(true);
  });

  it("never matches when the substituted value holds a wildcard or a level separator", () => {
    expect(substitute("users/%u/#", client({ username: "+" }))).toBeUndefined();
    expect(substitute("users/%u/#", client({ username: "a/b" }))).toBeUndefined();
    expect(substitute("d/%c", client({ clientId: "#" }))).toBeUndefined();
    expect(can(plugin, client({ username: "#" })).publish("users/#/x")).toBe(false);
  });

  it("sees the new rules when a client's user name changes", () => {
    const c = client({ username: "alice" });
    expect(can(plugin, c).publish("users/alice/1")).toBe(true);
    c.username = "bob";
    expect(can(plugin, c).publish("users/alice/1")).toBe(false);
  });
});

describe("topic-acl: deny rules win over allow rules", () => {
  const plugin = createTopicAclPlugin(
    context({
      publish_acl: { alice: ["#"] },
      acl: { alice: ["#"] },
      deny_publish_acl: { alice: ["system/#"] },
      deny_subscribe_acl: { alice: ["secret/#"] },
      deny_receive_acl: { alice: ["private/%u"] },
    }),
  );
  const c = can(plugin, alice());

  it("denies publishing under a denied filter", () => {
    expect([c.publish("system/reboot"), c.publish("other")]).toEqual([false, true]);
  });

  it("refuses a subscription the deny filter covers, and allows a wider one", () => {
    expect([c.subscribe("secret/a"), c.subscribe("secret/#")]).toEqual([0x80, 0x80]);
    expect(c.subscribe("#")).toBe(true);
  });

  it("keeps denied-subscription topics from being delivered through a wider subscription", () => {
    expect([c.receive("secret/a"), c.receive("open")]).toEqual([false, undefined]);
  });

  it("applies deny rules even when the allow list for that action is missing", () => {
    expect(c.receive("private/alice")).toBe(false);
  });
});

describe("topic-acl: Mosquitto acl_file", () => {
  const dir = mkdtempSync(join(tmpdir(), "amqtt-acl-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "acl");
  const text = [
    "# anonymous clients (before any user line)",
    "topic read public/#",
    "",
    "user alice",
    "topic readwrite home/alice/#",
    "topic write commands/+",
    "topic deny home/alice/secret",
    "topic with space/ok",
    "",
    "user bob",
    "topic read home/#",
    "",
    "pattern readwrite clients/%c/#",
    "pattern deny clients/%c/locked",
  ].join("\n");

  async function started() {
    writeFileSync(file, text);
    const plugin = createTopicAclPlugin(context({ acl_file: file }));
    await plugin.start?.(context());
    return plugin;
  }

  it("gives read (subscribe and receive) and write (publish) to the users it names", async () => {
    const plugin = await started();
    const a = can(plugin, alice());
    expect([a.publish("home/alice/x"), a.subscribe("home/alice/#"), a.receive("home/alice/x")]).toEqual([
      true,
      true,
      true,
    ]);
    expect([a.publish("commands/light"), a.subscribe("commands/light"), a.receive("commands/light")]).toEqual(
      [true, 0x80, false],
    );
    const b = can(plugin, client({ username: "bob" }));
    expect([b.subscribe("home/alice/x"), b.publish("home/alice/x")]).toEqual([true, false]);
  });

  it("reads topics with spaces and defaults to readwrite", async () => {
    const a = can(await started(), alice());
    expect([a.publish("with space/ok"), a.subscribe("with space/ok")]).toEqual([true, true]);
  });

  it("applies topic lines before any user to clients without a user name", async () => {
    const n = can(await started(), nobody());
    expect([n.subscribe("public/x"), n.publish("public/x"), n.subscribe("home/#")]).toEqual([
      true,
      false,
      0x80,
    ]);
  });

  it("applies deny lines over the user's grants", async () => {
    const a = can(await started(), alice());
    expect([a.publish("home/alice/secret"), a.receive("home/alice/secret")]).toEqual([false, false]);
  });

  it("applies patterns to every client with %c substituted, deny patterns included", async () => {
    const plugin = await started();
    const n = can(plugin, nobody());
    expect([n.publish("clients/dev-7/data"), n.publish("clients/other/data")]).toEqual([true, false]);
    expect(n.publish("clients/dev-7/locked")).toBe(false);
  });

  it("re-reads the file on reload", async () => {
    const plugin = (await started()) as ReturnType<typeof createTopicAclPlugin>;
    const a = alice();
    expect(can(plugin, a).publish("new/topic")).toBe(false);
    writeFileSync(file, "user alice\ntopic write new/topic\n");
    await plugin.reload();
    expect(can(plugin, a).publish("new/topic")).toBe(true);
  });

  it("reports a line it cannot read with its number", () => {
    expect(() => parseAclFile("user alice\nallow everything\n", "acl")).toThrow(AclFileError);
    expect(() => parseAclFile("user alice\nallow everything\n", "acl")).toThrow(/acl:2:/);
  });
});

describe("invalid ACL filters are refused when the plugin is created", () => {
  it("refuses a # that is not the last level", () => {
    expect(() => createTopicAclPlugin(context({ acl: { alice: ["a/#/b"] } }))).toThrow(
      /invalid ACL topic filter/,
    );
  });
});

describe("filterCovers decides whether an ACL filter grants a whole subscription", () => {
  it.each<[string, string, boolean]>([
    ["a/#", "a/+/b", true],
    ["a/#", "a", true],
    ["a/+", "a/#", false],
    ["a/+", "a/+", true],
    ["+/b", "a/b", true],
    ["a/b", "a/b/c", false],
    ["a/b/c", "a/b", false],
    ["#", "#", true],
    ["#", "$SYS/x", false], // [MQTT-4.7.2-1]
    ["$SYS/#", "$SYS/broker/uptime", true],
  ])("%s covers %s: %s", (acl, sub, expected) => {
    expect(filterCovers(acl, sub)).toBe(expected);
  });
});
