import { ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import {
  checkTopicName,
  InvalidTopicNameError,
  isValidTopicName,
  MAX_TOPIC_BYTES,
  validateTopicName,
} from "../src/index.js";

function rejection(topic: string): InvalidTopicNameError {
  const error = checkTopicName(topic);
  if (error === undefined) throw new Error(`expected ${JSON.stringify(topic)} to be rejected`);
  return error;
}

describe("topic names", () => {
  it.each([
    "a",
    "/",
    "a/b/c",
    "/finance",
    "finance/",
    "a//b",
    "Accounts payable",
    "$SYS/broker/uptime",
    "ünïcödé/😀",
  ])("accepts %j", (topic) => {
    expect(checkTopicName(topic)).toBeUndefined();
    expect(isValidTopicName(topic)).toBe(true);
    expect(() => validateTopicName(topic)).not.toThrow();
  });

  it("rejects an empty topic name [MQTT-4.7.3-1]", () => {
    const error = rejection("");
    expect(error).toBeInstanceOf(InvalidTopicNameError);
    expect(error.name).toBe("InvalidTopicNameError");
    expect(error.statement).toBe("MQTT-4.7.3-1");
    expect(error.statement311).toBe("MQTT-4.7.3-1");
    expect(error.reasonCode).toBe(ReasonCode.TOPIC_NAME_INVALID);
    expect(error.topic).toBe("");
  });

  it.each(["+", "a/+", "a/#", "#", "a+b", "sport/tennis#"])(
    "rejects the wildcard in %j [MQTT-4.7.0-1] (3.1.1 [MQTT-4.7.1-1])",
    (topic) => {
      const error = rejection(topic);
      expect(error.statement).toBe("MQTT-4.7.0-1");
      expect(error.statement311).toBe("MQTT-4.7.1-1");
    },
  );

  it("rejects U+0000 anywhere in a topic name [MQTT-4.7.3-2]", () => {
    expect(rejection("a\u0000b").statement).toBe("MQTT-4.7.3-2");
    expect(rejection("\u0000").statement).toBe("MQTT-4.7.3-2");
  });

  it("accepts 65,535 UTF-8 bytes and rejects 65,536 [MQTT-4.7.3-3]", () => {
    expect(checkTopicName("a".repeat(MAX_TOPIC_BYTES))).toBeUndefined();
    expect(rejection("a".repeat(MAX_TOPIC_BYTES + 1)).statement).toBe("MQTT-4.7.3-3");
  });

  it("counts the limit in UTF-8 bytes, not in characters [MQTT-4.7.3-3]", () => {
    // "é" is 2 bytes in UTF-8: 32,768 of them are 65,536 bytes.
    expect(rejection("é".repeat(32_768)).statement).toBe("MQTT-4.7.3-3");
    expect(checkTopicName(`${"é".repeat(32_767)}a`)).toBeUndefined();
    // A surrogate pair is one 4-byte character.
    expect(rejection(`${"😀".repeat(16_384)}`).statement).toBe("MQTT-4.7.3-3");
    expect(checkTopicName(`${"😀".repeat(16_383)}abc`)).toBeUndefined();
  });

  it("rejects a lone surrogate, which has no UTF-8 form [MQTT-1.5.4-1] (3.1.1 [MQTT-1.5.3-1])", () => {
    for (const topic of ["a\ud800", "\udc00/a", "a\ud83db"]) {
      const error = rejection(topic);
      expect(error.statement).toBe("MQTT-1.5.4-1");
      expect(error.statement311).toBe("MQTT-1.5.3-1");
    }
  });

  it("throws the same typed error from validateTopicName", () => {
    expect(() => validateTopicName("a/+")).toThrow(InvalidTopicNameError);
    expect(() => validateTopicName("a/+")).toThrow(/MQTT-4\.7\.0-1/);
  });
});
