/** Where the retained topics a filter can match lie in the lexical index. @internal */
export interface RetainedRange {
  /** A filter without wildcards: the one topic it names. */
  exact?: string;
  /** ZRANGEBYLEX bounds covering every topic the filter can match (more is filtered after). */
  min: Buffer;
  max: Buffer;
}

/**
 * The lexical range of `filter`: the topics starting with its literal head (up
 * to the first wildcard, without the `/` before it, since `a/#` matches `a`).
 * A filter starting with a wildcard reads every topic; `topicMatches` then
 * applies the `$` rule. 0xFF never occurs in UTF-8, so `head + 0xFF` bounds
 * every topic starting with `head`.
 */
export function retainedRange(filter: string): RetainedRange {
  const wildcard = filter.search(/[+#]/);
  if (wildcard < 0) return { exact: filter, min: Buffer.alloc(0), max: Buffer.alloc(0) };
  let head = filter.slice(0, wildcard);
  if (head.endsWith("/")) head = head.slice(0, -1);
  if (head === "") return { min: Buffer.from("-"), max: Buffer.from("+") };
  const bytes = Buffer.from(head, "utf8");
  return {
    min: Buffer.concat([Buffer.from("["), bytes]),
    max: Buffer.concat([Buffer.from("("), bytes, Buffer.from([0xff])]),
  };
}
