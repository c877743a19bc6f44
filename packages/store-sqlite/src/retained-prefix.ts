/**
 * A GLOB pattern that every topic matched by `filter` also matches: the filter's
 * levels before its first wildcard, then `*`. The parent level stays in, since
 * `sport/#` matches `sport` itself (MQTT section 4.7.1.2). SQLite serves such a pattern
 * from the primary-key index; the caller still checks each row with
 * `topicMatches`. Returns `undefined` when the filter starts with a wildcard (no
 * prefix: every row is a candidate).
 * @internal
 */
export function retainedGlob(filter: string): string | undefined {
  const levels = filter.split("/");
  const wildcard = levels.findIndex((level) => level === "+" || level === "#");
  const literal = wildcard === -1 ? levels : levels.slice(0, wildcard);
  if (literal.length === 0) return undefined;
  // `[x]` matches x literally in GLOB.
  return `${literal.join("/").replace(/[*?[]/g, "[$&]")}*`;
}
