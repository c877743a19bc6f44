import { ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import {
  checkTopicFilter,
  hasWildcards,
  InvalidTopicFilterError,
  isSharedFilter,
  isValidTopicFilter,
  MAX_TOPIC_BYTES,
  parseTopicFilter,
  validateTopicFilter,
} from "../src/index.js";

function rejection(filter: string, shared = true): InvalidTopicFilterError {
  const error = checkTopicFilter(filter, { shared });
  if (error === undefined) throw new Error(`expected ${JSON.stringify(filter)} to be rejected`);
  return error;
}

describe("topic filters", () => {
  it.each([
    "a",
    "/",
    "#",
    "+",
    "sport/tennis/player1/#",
    "sport/tennis/#",
    "+/tennis/#",
    "sport/+/player1",
    "+/+",
    "/+",
    "a//+/#",
    "$SYS/#",
    "$SYS/monitor/+",
    "$share",
    "$sharex/a",
  ])("accepts %j", (filter) => {
    expect(checkTopicFilter(filter)).toBeUndefined();
    expect(isValidTopicFilter(filter)).toBe(true);
    expect(() => validateTopicFilter(filter)).not.toThrow();
  });

  it("rejects an empty filter [MQTT-4.7.3-1]", () => {
    const error = rejection("");
    expect(error).toBeInstanceOf(InvalidTopicFilterError);
    expect(error.name).toBe("InvalidTopicFilterError");
    expect(error.statement).toBe("MQTT-4.7.3-1");
    expect(error.statement311).toBe("MQTT-4.7.3-1");
    expect(error.reasonCode).toBe(ReasonCode.TOPIC_FILTER_INVALID);
    expect(error.filter).toBe("");
  });

  it.each(["sport/tennis#", "sport/tennis/#/ranking", "#/a", "a/#/", "##", "a/b#", "#a"])(
    "rejects %j: # must be alone in the last level [MQTT-4.7.1-1] (3.1.1 [MQTT-4.7.1-2])",
    (filter) => {
      const error = rejection(filter);
      expect(error.statement).toBe("MQTT-4.7.1-1");
      expect(error.statement311).toBe("MQTT-4.7.1-2");
    },
  );

  it.each(["sport+", "+sport", "a/b+/c", "a/++", "++", "a/+b"])(
    "rejects %j: + must occupy a whole level [MQTT-4.7.1-2] (3.1.1 [MQTT-4.7.1-3])",
    (filter) => {
      const error = rejection(filter);
      expect(error.statement).toBe("MQTT-4.7.1-2");
      expect(error.statement311).toBe("MQTT-4.7.1-3");
    },
  );

  it("rejects U+0000 in a filter [MQTT-4.7.3-2]", () => {
    expect(rejection("a/\u0000/#").statement).toBe("MQTT-4.7.3-2");
  });

  it("accepts a filter of 65,535 UTF-8 bytes and rejects one of 65,536 [MQTT-4.7.3-3]", () => {
    expect(checkTopicFilter(`${"a".repeat(MAX_TOPIC_BYTES - 2)}/#`)).toBeUndefined();
    expect(rejection(`${"a".repeat(MAX_TOPIC_BYTES - 1)}/#`).statement).toBe("MQTT-4.7.3-3");
  });

  it("rejects a lone surrogate in a filter [MQTT-1.5.4-1] (3.1.1 [MQTT-1.5.3-1])", () => {
    const error = rejection("a/\udfff/+");
    expect(error.statement).toBe("MQTT-1.5.4-1");
    expect(error.statement311).toBe("MQTT-1.5.3-1");
  });

  it("tells filters with wildcards from those without", () => {
    expect(hasWildcards("a/+/c")).toBe(true);
    expect(hasWildcards("a/#")).toBe(true);
    expect(hasWildcards("a/b/c")).toBe(false);
  });
});

describe("shared subscription filters", () => {
  it("splits $share/{ShareName}/{filter} into the group and the filter", () => {
    expect(parseTopicFilter("$share/consumer1/sport/tennis/+")).toEqual({
      shareName: "consumer1",
      filter: "sport/tennis/+",
    });
    expect(parseTopicFilter("$share/consumer1//finance")).toEqual({
      shareName: "consumer1",
      filter: "/finance",
    });
    expect(parseTopicFilter("$share/g/#")).toEqual({ shareName: "g", filter: "#" });
    expect(parseTopicFilter("sport/#")).toEqual({ shareName: undefined, filter: "sport/#" });
    expect(isSharedFilter("$share/g/a")).toBe(true);
    expect(isSharedFilter("$SYS/a")).toBe(false);
  });

  it.each(["$share/", "$share//a", "$share//"])(
    "rejects %j: the ShareName must be at least one character [MQTT-4.8.2-1]",
    (filter) => {
      const error = rejection(filter);
      expect(error.statement).toBe("MQTT-4.8.2-1");
      expect(error.statement311).toBeUndefined();
      expect(error.reasonCode).toBe(ReasonCode.TOPIC_FILTER_INVALID);
    },
  );

  it.each(["$share/g+/a", "$share/+/a", "$share/#/a", "$share/a#b/c", "$share/#"])(
    "rejects %j: the ShareName must not contain + or # [MQTT-4.8.2-2]",
    (filter) => {
      expect(rejection(filter).statement).toBe("MQTT-4.8.2-2");
    },
  );

  it.each(["$share/group", "$share/group/"])(
    "rejects %j: the ShareName must be followed by / and a topic filter [MQTT-4.8.2-2]",
    (filter) => {
      expect(rejection(filter).statement).toBe("MQTT-4.8.2-2");
    },
  );

  it("applies the topic filter rules to the part after the ShareName [MQTT-4.7.1-1] [MQTT-4.7.1-2]", () => {
    expect(rejection("$share/g/a/#/b").statement).toBe("MQTT-4.7.1-1");
    expect(rejection("$share/g/a+").statement).toBe("MQTT-4.7.1-2");
    expect(rejection("$share/g\u0000/a").statement).toBe("MQTT-4.7.3-2");
  });

  it("counts the whole $share/ filter against the 65,535-byte limit [MQTT-4.7.3-3]", () => {
    const prefix = "$share/g/";
    expect(checkTopicFilter(prefix + "a".repeat(MAX_TOPIC_BYTES - prefix.length))).toBeUndefined();
    expect(rejection(prefix + "a".repeat(MAX_TOPIC_BYTES - prefix.length + 1)).statement).toBe(
      "MQTT-4.7.3-3",
    );
  });

  it("treats $share/ as an ordinary first level when shared subscriptions are off (MQTT 3.1.1)", () => {
    expect(parseTopicFilter("$share/g/a", { shared: false })).toEqual({
      shareName: undefined,
      filter: "$share/g/a",
    });
    expect(checkTopicFilter("$share//a", { shared: false })).toBeUndefined();
    expect(rejection("$share/g+/a", false).statement).toBe("MQTT-4.7.1-2");
  });

  it("throws the typed error from parseTopicFilter and validateTopicFilter", () => {
    expect(() => parseTopicFilter("$share//a")).toThrow(InvalidTopicFilterError);
    expect(() => validateTopicFilter("a/#/b")).toThrow(/MQTT-4\.7\.1-1/);
  });
});
