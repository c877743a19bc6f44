import { InvalidTopicFilterError, InvalidTopicNameError, type TopicErrorOptions } from "./errors.js";

/** Longest topic name or filter, in UTF-8 bytes [MQTT-4.7.3-3]. */
export const MAX_TOPIC_BYTES = 65_535;

const NUL = 0x00;
const DOLLAR = 0x24;
const HASH = 0x23;
const PLUS = 0x2b;
const SLASH = 0x2f;

/** A broken rule: the text of the error and its statement ids (5.0 first). */
interface Problem extends TopicErrorOptions {
  message: string;
}

const empty: Problem = {
  message: "must be at least one character long",
  statement: "MQTT-4.7.3-1",
  statement311: "MQTT-4.7.3-1",
};
const nul: Problem = {
  message: "must not contain U+0000",
  statement: "MQTT-4.7.3-2",
  statement311: "MQTT-4.7.3-2",
};
const tooLong: Problem = {
  message: `must not encode to more than ${MAX_TOPIC_BYTES} bytes`,
  statement: "MQTT-4.7.3-3",
  statement311: "MQTT-4.7.3-3",
};
// A JS string with a lone surrogate has no UTF-8 form at all.
const loneSurrogate: Problem = {
  message: "must be well-formed UTF-8 (it contains a lone surrogate)",
  statement: "MQTT-1.5.4-1",
  statement311: "MQTT-1.5.3-1",
};
const wildcardInName: Problem = {
  message: "must not contain the wildcards + or #",
  statement: "MQTT-4.7.0-1",
  statement311: "MQTT-4.7.1-1",
};
const badHash: Problem = {
  message: "# must be alone in the last level",
  statement: "MQTT-4.7.1-1",
  statement311: "MQTT-4.7.1-2",
};
const badPlus: Problem = {
  message: "+ must occupy a whole level",
  statement: "MQTT-4.7.1-2",
  statement311: "MQTT-4.7.1-3",
};
const emptyShareName: Problem = {
  message: "a $share/ filter needs a ShareName of at least one character",
  statement: "MQTT-4.8.2-1",
};
const badShareName: Problem = {
  message: "the ShareName must not contain + or #",
  statement: "MQTT-4.8.2-2",
};
const missingSharedFilter: Problem = {
  message: "the ShareName must be followed by / and a topic filter",
  statement: "MQTT-4.8.2-2",
};

/**
 * Scans `s[start..end)` once: returns its UTF-8 length, or a `Problem` for
 * U+0000, a lone surrogate, or a misplaced wildcard. With `filter` false any
 * wildcard is a problem (topic names); with `filter` true `+` and `#` must sit
 * alone in their level and `#` must be last.
 */
function scan(s: string, start: number, end: number, filter: boolean): number | Problem {
  let bytes = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === PLUS || c === HASH) {
        if (!filter) return wildcardInName; // [MQTT-4.7.0-1]
        const alone =
          (i === start || s.charCodeAt(i - 1) === SLASH) && (i + 1 === end || s.charCodeAt(i + 1) === SLASH);
        if (c === PLUS && !alone) return badPlus; // [MQTT-4.7.1-2]
        if (c === HASH && (!alone || i + 1 !== end)) return badHash; // [MQTT-4.7.1-1]
      } else if (c === NUL) return nul; // [MQTT-4.7.3-2]
      bytes += 1;
    } else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < end ? s.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return loneSurrogate;
      bytes += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return loneSurrogate;
    else bytes += 3;
  }
  return bytes;
}

function nameProblem(topic: string): Problem | undefined {
  if (typeof topic !== "string" || topic.length === 0) return empty; // [MQTT-4.7.3-1]
  const r = scan(topic, 0, topic.length, false);
  if (typeof r !== "number") return r;
  return r > MAX_TOPIC_BYTES ? tooLong : undefined; // [MQTT-4.7.3-3]
}

/** Validates a plain filter (no `$share/` handling). */
function plainFilterProblem(filter: string): Problem | undefined {
  if (typeof filter !== "string" || filter.length === 0) return empty; // [MQTT-4.7.3-1]
  const r = scan(filter, 0, filter.length, true);
  if (typeof r !== "number") return r;
  return r > MAX_TOPIC_BYTES ? tooLong : undefined; // [MQTT-4.7.3-3]
}

/**
 * Checks a topic name (the topic of a PUBLISH or a will) against the rules of
 * section 4.7: at least one character [MQTT-4.7.3-1], no `+` or `#`
 * [MQTT-4.7.0-1] (3.1.1: [MQTT-4.7.1-1]), no U+0000 [MQTT-4.7.3-2], at most
 * 65,535 UTF-8 bytes [MQTT-4.7.3-3], and representable as UTF-8.
 * @returns the error to report, or `undefined` when the name is valid.
 */
export function checkTopicName(topic: string): InvalidTopicNameError | undefined {
  const p = nameProblem(topic);
  return p === undefined ? undefined : new InvalidTopicNameError(topic, p.message, p);
}

/** Like {@link checkTopicName} but throws the `InvalidTopicNameError`. */
export function validateTopicName(topic: string): void {
  const error = checkTopicName(topic);
  if (error !== undefined) throw error;
}

/** True when `topic` is a valid topic name (see {@link checkTopicName}). No allocation. */
export function isValidTopicName(topic: string): boolean {
  return nameProblem(topic) === undefined;
}

/** The parts of a subscription's topic filter. */
export interface ParsedTopicFilter {
  /** The filter that is matched against topic names (without any `$share/{group}/` prefix). */
  readonly filter: string;
  /** The ShareName of a shared subscription (`$share/{shareName}/{filter}`), else `undefined`. */
  readonly shareName: string | undefined;
}

/** Options of {@link parseTopicFilter} and {@link checkTopicFilter}. */
export interface TopicFilterOptions {
  /**
   * Treat `$share/{ShareName}/{filter}` as a shared subscription (default `true`).
   * With `false` it is an ordinary filter whose first level is `$share`, as in 3.1.1.
   */
  shared?: boolean;
}

const SHARE_PREFIX = "$share/";

/** True when `filter` starts with `$share/`, the mark of a shared subscription (section 4.8.2). */
export function isSharedFilter(filter: string): boolean {
  return filter.startsWith(SHARE_PREFIX);
}

type ParseResult = ParsedTopicFilter | Problem;

function parse(raw: string, shared: boolean): ParseResult {
  if (!shared || !raw.startsWith(SHARE_PREFIX)) {
    const p = plainFilterProblem(raw);
    return p ?? { filter: raw, shareName: undefined };
  }
  const nameStart = SHARE_PREFIX.length;
  const slash = raw.indexOf("/", nameStart);
  const nameEnd = slash < 0 ? raw.length : slash;
  if (nameEnd === nameStart) return emptyShareName; // [MQTT-4.8.2-1]
  for (let i = nameStart; i < nameEnd; i++) {
    const c = raw.charCodeAt(i);
    if (c === PLUS || c === HASH) return badShareName; // [MQTT-4.8.2-2]
  }
  if (slash < 0 || slash + 1 === raw.length) return missingSharedFilter; // [MQTT-4.8.2-2]
  const nameBytes = scan(raw, nameStart, nameEnd, false);
  if (typeof nameBytes !== "number") return nameBytes;
  const filterBytes = scan(raw, slash + 1, raw.length, true);
  if (typeof filterBytes !== "number") return filterBytes;
  // The whole string is the Topic Filter on the wire, so the limit covers the prefix too.
  if (nameStart + nameBytes + 1 + filterBytes > MAX_TOPIC_BYTES) return tooLong; // [MQTT-4.7.3-3]
  return { filter: raw.slice(slash + 1), shareName: raw.slice(nameStart, nameEnd) };
}

function isProblem(r: ParseResult): r is Problem {
  return (r as Problem).statement !== undefined;
}

/**
 * Checks a topic filter from SUBSCRIBE or UNSUBSCRIBE against sections 4.7 and
 * 4.8.2: at least one character [MQTT-4.7.3-1]; `#` alone in the last level
 * [MQTT-4.7.1-1] (3.1.1: [MQTT-4.7.1-2]); `+` alone in its level [MQTT-4.7.1-2]
 * (3.1.1: [MQTT-4.7.1-3]); no U+0000 [MQTT-4.7.3-2]; at most 65,535 UTF-8 bytes
 * [MQTT-4.7.3-3]; and for `$share/` filters a ShareName of at least one
 * character [MQTT-4.8.2-1] without `+` or `#`, followed by `/` and a filter [MQTT-4.8.2-2].
 * @returns the error to report, or `undefined` when the filter is valid.
 */
export function checkTopicFilter(
  filter: string,
  options: TopicFilterOptions = {},
): InvalidTopicFilterError | undefined {
  const r = parse(filter, options.shared ?? true);
  return isProblem(r) ? new InvalidTopicFilterError(filter, r.message, r) : undefined;
}

/** Like {@link checkTopicFilter} but throws the `InvalidTopicFilterError`. */
export function validateTopicFilter(filter: string, options: TopicFilterOptions = {}): void {
  const error = checkTopicFilter(filter, options);
  if (error !== undefined) throw error;
}

/** True when `filter` is a valid topic filter (see {@link checkTopicFilter}). */
export function isValidTopicFilter(filter: string, options: TopicFilterOptions = {}): boolean {
  return !isProblem(parse(filter, options.shared ?? true));
}

/**
 * Validates a subscription's topic filter and splits a shared one into its
 * ShareName and filter: `$share/g/a/+` gives `{ shareName: "g", filter: "a/+" }`,
 * `a/+` gives `{ shareName: undefined, filter: "a/+" }`.
 * @throws InvalidTopicFilterError when the filter breaks a rule of {@link checkTopicFilter}.
 */
export function parseTopicFilter(filter: string, options: TopicFilterOptions = {}): ParsedTopicFilter {
  const r = parse(filter, options.shared ?? true);
  if (isProblem(r)) throw new InvalidTopicFilterError(filter, r.message, r);
  return r;
}

/** True when `filter` contains a `+` or `#` wildcard. */
export function hasWildcards(filter: string): boolean {
  return filter.includes("+") || filter.includes("#");
}

/**
 * True when the topic name `topic` matches the topic filter `filter` (section 4.7):
 * `+` matches exactly one level (possibly empty), `#` matches the parent level
 * and any number of child levels, other levels match character for character
 * with no normalization [MQTT-4.7.3-4], and a filter starting with a wildcard
 * never matches a topic starting with `$` [MQTT-4.7.2-1].
 *
 * Both arguments are assumed valid (see {@link checkTopicFilter} and
 * {@link checkTopicName}); a `$share/` filter is compared literally, so pass the
 * `filter` part of {@link parseTopicFilter}. Allocates nothing.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const first = filter.charCodeAt(0);
  if (topic.charCodeAt(0) === DOLLAR && (first === PLUS || first === HASH)) return false; // [MQTT-4.7.2-1]
  const fl = filter.length;
  const tl = topic.length;
  if (fl === 0 || tl === 0) return false;
  let f = 0;
  let t = 0;
  for (;;) {
    const c = filter.charCodeAt(f);
    if (c === HASH) return true;
    if (c === PLUS) {
      while (t < tl && topic.charCodeAt(t) !== SLASH) t++;
      f++;
    } else {
      while (f < fl) {
        const fc = filter.charCodeAt(f);
        if (fc === SLASH) break;
        if (t >= tl || topic.charCodeAt(t) !== fc) return false;
        f++;
        t++;
      }
      if (t < tl && topic.charCodeAt(t) !== SLASH) return false;
    }
    // Both cursors now sit on a separator or at their end.
    if (f === fl) return t === tl;
    // The topic ended first: only a trailing "/#" still matches (it includes the parent level).
    if (t === tl) return f + 2 === fl && filter.charCodeAt(f + 1) === HASH;
    f++;
    t++;
  }
}

/** {@link parseTopicFilter} that returns `undefined` instead of throwing. Internal. */
export function tryParseTopicFilter(
  filter: string,
  options: TopicFilterOptions = {},
): ParsedTopicFilter | undefined {
  const r = parse(filter, options.shared ?? true);
  return isProblem(r) ? undefined : r;
}
