/**
 * SASLprep-light: the parts of SASLprep (RFC 4013, a profile of stringprep,
 * RFC 3454) that matter for passwords and user names typed by people, without
 * the stringprep tables. RFC 5802 section 5.1 asks for SASLprep on both.
 *
 * What it does, in RFC 4013's order:
 * 1. Mapping (section 2.1): non-ASCII space characters (RFC 3454 table C.1.2)
 *    become U+0020; the "commonly mapped to nothing" characters (table B.1:
 *    soft hyphen, zero-width joiners and spaces, variation selectors, word
 *    joiner, byte order mark, ...) are removed.
 * 2. Normalization (section 2.2): Unicode NFKC.
 * 3. Prohibited output (section 2.3), partly: ASCII and C1 control characters,
 *    the line and paragraph separators U+2028/U+2029, the non-character code
 *    points U+FFFE/U+FFFF, lone surrogates, and the
 *    tagging/"inappropriate for plain text" code points U+FFF9..U+FFFD and
 *    U+E0001, U+E0020..U+E007F are refused.
 *
 * What it does not do: the bidirectional checks (section 2.4), the refusal of
 * unassigned code points (they are kept, as for a "stored string" they should
 * be refused), and private-use code points are allowed. Both ends of a SCRAM
 * conversation in this suite use this same function, so they always agree.
 */
export function saslPrepLight(input: string): string | undefined {
  const mapped = input.replace(MAPPED_TO_NOTHING, "").replace(NON_ASCII_SPACE, " ");
  const normalized = mapped.normalize("NFKC");
  return PROHIBITED.test(normalized) ? undefined : normalized;
}

// RFC 3454 table B.1.
// biome-ignore lint/suspicious/noMisleadingCharacterClass: each code point is removed on its own, combining or not.
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;
// RFC 3454 table C.1.2 (U+200B is in B.1 too, and is removed above first).
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;
// RFC 3454 tables C.2.1 and part of C.2.2 (controls), C.4 (FFFE/FFFF), C.6 (FFF9..FFFD),
// C.9 (tags); \p{Cs} only matches unpaired surrogates in a /u pattern.
const PROHIBITED = /[\p{Cc}\u2028\u2029\uFFF9-\uFFFF]|\u{E0001}|[\u{E0020}-\u{E007F}]|\p{Cs}/u;
