import { hasWildcards, parseTopicFilter, tryParseTopicFilter } from "./topic.js";

/** One subscription held by a {@link SubscriptionTree}: a client, a filter and the broker's value. */
export interface Subscription<V> {
  /** The subscribing client (session) id. */
  readonly clientId: string;
  /** The filter matched against topic names, without any `$share/{group}/` prefix. */
  readonly filter: string;
  /** The ShareName of a shared subscription, else `undefined`. */
  readonly shareName: string | undefined;
  /** What the broker stored with it (QoS, options, subscription identifier, ...). */
  readonly value: V;
}

/**
 * A shared subscription (`$share/{shareName}/{filter}`) that matched: the broker
 * delivers each message to exactly one of its `members` (section 4.8.2).
 */
export interface SharedGroup<V> {
  readonly shareName: string;
  /** The filter without the `$share/{shareName}/` prefix. */
  readonly filter: string;
  /** The sessions in the group, never empty in a match result. Order is unspecified and changes on removal. */
  readonly members: readonly Subscription<V>[];
}

/**
 * What {@link SubscriptionTree.match} found. Reuse one instance across calls on
 * a hot path: `match` clears it first. The arrays hold the tree's own objects;
 * read them before the tree changes.
 */
export class MatchResult<V> {
  /** Every matching non-shared subscription; a client appears once per matching filter. */
  readonly subscriptions: Subscription<V>[] = [];
  /** Every matching shared subscription group; pick one member of each. */
  readonly sharedGroups: SharedGroup<V>[] = [];

  /** Empties both lists (keeps their storage). */
  clear(): void {
    this.subscriptions.length = 0;
    this.sharedGroups.length = 0;
  }
}

/** A stored subscription; `slot` is its index in the owner's array, for O(1) removal. */
class Entry<V> implements Subscription<V> {
  constructor(
    readonly clientId: string,
    readonly filter: string,
    readonly shareName: string | undefined,
    public value: V,
    public slot: number,
  ) {}
}

/** Up to this many subscribers of one filter are found by a scan; more get an index by client id. */
const INDEX_FROM = 8;

/**
 * Two or more subscribers of one filter, or the members of a shared group: an
 * array, fast to walk when matching, and a map by client id only once there are
 * more than {@link INDEX_FROM}.
 */
class Members<V> {
  list: Entry<V>[] = [];
  index: Map<string, Entry<V>> | undefined = undefined;

  find(clientId: string): Entry<V> | undefined {
    if (this.index !== undefined) return this.index.get(clientId);
    const list = this.list;
    for (let i = 0; i < list.length; i++) if (list[i]?.clientId === clientId) return list[i];
    return undefined;
  }

  add(entry: Entry<V>): void {
    const list = this.list;
    entry.slot = list.length;
    list.push(entry);
    if (this.index !== undefined) this.index.set(entry.clientId, entry);
    else if (list.length > INDEX_FROM) this.index = new Map(list.map((e) => [e.clientId, e]));
  }

  /** Removes the subscriber `clientId` (swapped with the last: O(1)); the owner frees an emptied one. */
  delete(clientId: string): boolean {
    const entry = this.find(clientId);
    if (entry === undefined) return false;
    const list = this.list;
    const last = list.pop() as Entry<V>;
    if (last !== entry) {
      list[entry.slot] = last;
      last.slot = entry.slot;
    }
    if (this.index !== undefined) {
      this.index.delete(clientId);
      // Hysteresis: the index goes at half its threshold, not at every crossing.
      if (list.length <= INDEX_FROM / 2) this.index = undefined;
    }
    return true;
  }
}

class Group<V> extends Members<V> implements SharedGroup<V> {
  constructor(
    readonly shareName: string,
    readonly filter: string,
  ) {
    super();
  }
  get members(): readonly Subscription<V>[] {
    return this.list;
  }
}

/**
 * Where the subscriptions of one filter are held: an exact filter's slot, and
 * the base of every trie level. Most filters have one subscriber: it is held
 * as is, without an array or a map around it.
 */
class Leaf<V> {
  /** The non-shared subscribers: none, the only one, or two and more. */
  subscribers: Entry<V> | Members<V> | undefined = undefined;
  groups: Map<string, Group<V>> | undefined = undefined;

  isEmpty(): boolean {
    return this.subscribers === undefined && this.groups === undefined;
  }

  find(clientId: string): Entry<V> | undefined {
    const s = this.subscribers;
    if (s instanceof Entry) return s.clientId === clientId ? s : undefined;
    return s?.find(clientId);
  }

  add(entry: Entry<V>): void {
    const s = this.subscribers;
    if (s === undefined) this.subscribers = entry;
    else if (s instanceof Entry) {
      const members = new Members<V>();
      members.add(s);
      members.add(entry);
      this.subscribers = members;
    } else s.add(entry);
  }

  delete(clientId: string): boolean {
    const s = this.subscribers;
    if (s instanceof Entry) {
      if (s.clientId !== clientId) return false;
      this.subscribers = undefined;
      return true;
    }
    if (s === undefined || !s.delete(clientId)) return false;
    // Back to one: held as is again.
    if (s.list.length === 1) this.subscribers = s.list[0];
    return true;
  }
}

/** One level of the trie. Fields stay `undefined` until used, to keep leaves small. */
class TrieNode<V> extends Leaf<V> {
  /** Children by literal level (never `+` or `#`). */
  children: Map<string, TrieNode<V>> | undefined = undefined;
  plus: TrieNode<V> | undefined = undefined;
  hash: TrieNode<V> | undefined = undefined;

  override isEmpty(): boolean {
    return (
      this.children === undefined &&
      this.plus === undefined &&
      this.hash === undefined &&
      this.subscribers === undefined &&
      this.groups === undefined
    );
  }

  child(level: string): TrieNode<V> | undefined {
    if (level === "+") return this.plus;
    if (level === "#") return this.hash;
    return this.children?.get(level);
  }

  detach(level: string): void {
    if (level === "+") this.plus = undefined;
    else if (level === "#") this.hash = undefined;
    else if (this.children !== undefined) {
      this.children.delete(level);
      if (this.children.size === 0) this.children = undefined;
    }
  }
}

const DOLLAR = 0x24;
/** Levels the scratch array of `match` may keep between calls. */
const MAX_KEPT_LEVELS = 64;

/**
 * Maps topic filters to subscriptions, keyed by (filter, client id).
 *
 * Filters without wildcards sit in one hash map keyed by the whole filter;
 * filters with `+` or `#` sit in a trie with one level per topic level.
 * `match(topic)` does one map lookup, then walks only the trie branches that
 * can match: per topic level the literal child, the `+` child and the `#`
 * child. Its cost grows with the
 * number of levels and of matching subscriptions, not with the subscriptions
 * that do not match. Shared subscriptions (`$share/{group}/{filter}`) are stored
 * under their filter and returned per group, so the broker can pick one member.
 * Removing the last subscription of a branch frees the branch.
 *
 * @typeParam V - what the broker stores per subscription (granted QoS, options, ...).
 */
export class SubscriptionTree<V> {
  /**
   * Filters without wildcards, by the whole filter: one hash lookup per match
   * finds them all, however many there are.
   */
  private readonly exact = new Map<string, Leaf<V>>();
  /** Filters with `+` or `#`, one trie level per topic level. */
  private readonly root = new TrieNode<V>();
  private count = 0;
  private nodes = 1;
  /** Scratch space for the levels of the topic being matched, cut on demand (match is not re-entrant). */
  private readonly levels: (string | undefined)[] = [];
  /** Where each level of the topic being matched ends (its "/" or the end of the topic). */
  private readonly levelEnds: number[] = [];
  /** Scratch stack of the walk: nodes still to visit and the topic level each is at. */
  private readonly stackNodes: (TrieNode<V> | undefined)[] = [];
  private readonly stackDepths: number[] = [];

  /** Number of subscriptions, shared group members included. */
  get size(): number {
    return this.count;
  }

  /** Number of nodes (trie levels and exact-filter slots), the root included (1 when empty). For memory checks and diagnostics. */
  get nodeCount(): number {
    return this.nodes;
  }

  /**
   * Adds the subscription of `clientId` to `filter`, or replaces its value when
   * the client already has one for this exact filter (a session has at most one
   * subscription per filter, 5.0 section 4.8.1; a second SUBSCRIBE to the same
   * shared subscription does not add a member, section 4.8.2).
   * @param filter - a topic filter, possibly `$share/{group}/{filter}`.
   * @returns `true` when the subscription is new, `false` when it replaced one
   *   (the broker needs this for Retain Handling 1).
   * @throws InvalidTopicFilterError when `filter` is invalid (see `checkTopicFilter`).
   */
  add(filter: string, clientId: string, value: V): boolean {
    const parsed = parseTopicFilter(filter);
    const node = this.nodeFor(parsed.filter);
    let members: Leaf<V> | Group<V>;
    if (parsed.shareName === undefined) members = node;
    else {
      node.groups ??= new Map();
      let group = node.groups.get(parsed.shareName);
      if (group === undefined) {
        group = new Group<V>(parsed.shareName, parsed.filter);
        node.groups.set(parsed.shareName, group);
      }
      members = group;
    }
    const existing = members.find(clientId);
    if (existing !== undefined) {
      existing.value = value;
      return false;
    }
    members.add(new Entry(clientId, parsed.filter, parsed.shareName, value, 0));
    this.count++;
    return true;
  }

  /**
   * Removes the subscription of `clientId` to `filter` (compared exactly, as
   * UNSUBSCRIBE requires) and frees the trie nodes nothing uses any more.
   * @returns `true` when a subscription was removed; `false` when there was none
   *   (also for an invalid filter, which can never have been added).
   */
  remove(filter: string, clientId: string): boolean {
    const parsed = tryParseTopicFilter(filter);
    if (parsed === undefined) return false;
    const wild = hasWildcards(parsed.filter);
    const levels = wild ? parsed.filter.split("/") : [];
    const path: TrieNode<V>[] = [this.root];
    let node: Leaf<V> | undefined;
    if (wild) {
      let at: TrieNode<V> | undefined = this.root;
      for (const level of levels) {
        at = at.child(level);
        if (at === undefined) return false;
        path.push(at);
      }
      node = at;
    } else node = this.exact.get(parsed.filter);
    if (node === undefined) return false;
    if (parsed.shareName === undefined) {
      if (!node.delete(clientId)) return false;
    } else {
      const group = node.groups?.get(parsed.shareName);
      if (group === undefined || !group.delete(clientId)) return false;
      if (group.list.length === 0) {
        node.groups?.delete(parsed.shareName);
        if (node.groups?.size === 0) node.groups = undefined;
      }
    }
    this.count--;
    if (!wild) {
      if (node.isEmpty()) {
        this.exact.delete(parsed.filter);
        this.nodes--;
      }
      return true;
    }
    for (let k = levels.length; k > 0 && (path[k] as TrieNode<V>).isEmpty(); k--) {
      (path[k - 1] as TrieNode<V>).detach(levels[k - 1] as string);
      this.nodes--;
    }
    return true;
  }

  /** The value stored for `clientId` under exactly `filter`, or `undefined`. */
  get(filter: string, clientId: string): V | undefined {
    const parsed = tryParseTopicFilter(filter);
    if (parsed === undefined) return undefined;
    let node: Leaf<V> | undefined;
    if (hasWildcards(parsed.filter)) {
      let at: TrieNode<V> | undefined = this.root;
      for (const level of parsed.filter.split("/")) {
        at = at.child(level);
        if (at === undefined) return undefined;
      }
      node = at;
    } else {
      node = this.exact.get(parsed.filter);
      if (node === undefined) return undefined;
    }
    const members = parsed.shareName === undefined ? node : node.groups?.get(parsed.shareName);
    return members?.find(clientId)?.value;
  }

  /**
   * Finds every subscription whose filter matches the topic name `topic`
   * (assumed valid, see `checkTopicName`). Filters starting with a wildcard do
   * not match topics starting with `$` [MQTT-4.7.2-1].
   * @param into - a result to reuse; it is cleared first. A new one by default.
   */
  match(topic: string, into: MatchResult<V> = new MatchResult<V>()): MatchResult<V> {
    into.clear();
    const exact = this.exact.get(topic);
    if (exact !== undefined) collect(exact, into);
    const root = this.root;
    if (root.isEmpty()) return into;
    // Level boundaries into reused arrays; a level's string is cut only when a node
    // with literal children needs it (a `bench/#` subscriber needs the first level only).
    const levels = this.levels;
    const ends = this.levelEnds;
    let count = 0;
    for (let start = 0; ; ) {
      const end = topic.indexOf("/", start);
      levels[count] = undefined;
      if (end < 0) {
        ends[count++] = topic.length;
        break;
      }
      ends[count++] = end;
      start = end + 1;
    }
    // Depth-first walk with an explicit stack: a filter may have 32,768 levels,
    // too deep for recursion. Only the literal, + and # children of a node are visited.
    const nodes = this.stackNodes;
    const depths = this.stackDepths;
    let top = 0;
    if (topic.charCodeAt(0) === DOLLAR) {
      // [MQTT-4.7.2-1]: skip the root's + and # branches for $ topics.
      const child = root.children?.get(this.level(topic, 0));
      if (child !== undefined) {
        nodes[top] = child;
        depths[top++] = 1;
      }
    } else {
      nodes[top] = root;
      depths[top++] = 0;
    }
    while (top > 0) {
      top--;
      const node = nodes[top] as TrieNode<V>;
      const i = depths[top] as number;
      nodes[top] = undefined; // keep no reference to nodes a later remove() frees
      // "#" matches the parent level and every level below it.
      if (node.hash !== undefined) collect(node.hash, into);
      if (i === count) {
        collect(node, into);
        continue;
      }
      if (node.plus !== undefined) {
        nodes[top] = node.plus;
        depths[top++] = i + 1;
      }
      const child = node.children === undefined ? undefined : node.children.get(this.level(topic, i));
      if (child !== undefined) {
        nodes[top] = child;
        depths[top++] = i + 1;
      }
    }
    // Do not keep the scratch space of an unusually deep topic until the next call.
    if (count > MAX_KEPT_LEVELS) {
      levels.length = 0;
      ends.length = 0;
      nodes.length = 0;
      depths.length = 0;
    }
    return into;
  }

  /** Level `i` of the topic being matched, cut from it on first use. */
  private level(topic: string, i: number): string {
    const cut = this.levels[i];
    if (cut !== undefined) return cut;
    const start = i === 0 ? 0 : (this.levelEnds[i - 1] as number) + 1;
    const level = topic.slice(start, this.levelEnds[i]);
    this.levels[i] = level;
    return level;
  }

  /** Every subscription in the tree, in no particular order. */
  *[Symbol.iterator](): IterableIterator<Subscription<V>> {
    for (const node of this.exact.values()) yield* held(node);
    const stack: TrieNode<V>[] = [this.root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      yield* held(node);
      // One push per child: spreading a map of 100k+ children would overflow the argument limit.
      if (node.children !== undefined) for (const child of node.children.values()) stack.push(child);
      if (node.plus !== undefined) stack.push(node.plus);
      if (node.hash !== undefined) stack.push(node.hash);
    }
  }

  /** The node that holds `filter`'s subscriptions, created if missing. */
  private nodeFor(filter: string): Leaf<V> {
    if (!hasWildcards(filter)) {
      let node = this.exact.get(filter);
      if (node === undefined) {
        node = new Leaf<V>();
        this.exact.set(filter, node);
        this.nodes++;
      }
      return node;
    }
    let node = this.root;
    for (const level of filter.split("/")) node = this.childFor(node, level);
    return node;
  }

  private childFor(node: TrieNode<V>, level: string): TrieNode<V> {
    let child: TrieNode<V> | undefined;
    if (level === "+") {
      child = node.plus;
      if (child === undefined) child = node.plus = new TrieNode<V>();
      else return child;
    } else if (level === "#") {
      child = node.hash;
      if (child === undefined) child = node.hash = new TrieNode<V>();
      else return child;
    } else {
      node.children ??= new Map();
      child = node.children.get(level);
      if (child !== undefined) return child;
      child = new TrieNode<V>();
      node.children.set(level, child);
    }
    this.nodes++;
    return child;
  }
}

/** The subscriptions stored at `node`, shared group members included. */
function* held<V>(node: Leaf<V>): IterableIterator<Subscription<V>> {
  const s = node.subscribers;
  if (s instanceof Entry) yield s;
  else if (s !== undefined) yield* s.list;
  if (node.groups !== undefined) for (const group of node.groups.values()) yield* group.list;
}

/** Adds the subscriptions and groups stored at `node` to `out`. */
function collect<V>(node: Leaf<V>, out: MatchResult<V>): void {
  const s = node.subscribers;
  if (s instanceof Entry) out.subscriptions.push(s);
  else if (s !== undefined) {
    const list = s.list;
    const subs = out.subscriptions;
    for (let i = 0; i < list.length; i++) subs.push(list[i] as Entry<V>);
  }
  if (node.groups !== undefined) for (const group of node.groups.values()) out.sharedGroups.push(group);
}
