import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromTaggedJson, toTaggedJson } from "../src/tagged-json.js";

// Plain data with bytes anywhere, and objects whose keys look like the tags.
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    ),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom("$u8", "$obj", "a", "b", "$base64"), tie("value"), { maxKeys: 3 }),
  ),
}));

describe("tagged JSON (session records and message properties)", () => {
  it("reads back every value it writes, bytes and tag-shaped objects included", () => {
    fc.assert(
      fc.property(value, (v) => {
        // JSON has no -0: compare with the value JSON itself would give back.
        expect(fromTaggedJson(toTaggedJson(v))).toEqual(normalizeZero(v));
      }),
      { numRuns: 500 },
    );
  });

  it("writes bytes as base64 and reads them as plain Uint8Array, from a Buffer view too", () => {
    const backing = Buffer.from([9, 9, 1, 2, 3, 9]);
    const text = toTaggedJson({ data: backing.subarray(2, 5) });
    expect(text).toBe('{"data":{"$u8":"AQID"}}');
    const back = fromTaggedJson<{ data: Uint8Array }>(text).data;
    expect(back.constructor).toBe(Uint8Array);
    expect([...back]).toEqual([1, 2, 3]);
  });

  it("leaves out undefined fields", () => {
    expect(toTaggedJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});

function normalizeZero(v: unknown): unknown {
  if (Object.is(v, -0)) return 0;
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(normalizeZero);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeZero(x)]));
  }
  return v;
}
