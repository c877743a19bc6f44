import type { PublishProperties, QoS } from "@amqtt/codec";
import { storedMessageSize } from "@amqtt/store";

/** A retained message as the broker keeps it. */
export interface RetainedMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  properties: PublishProperties | undefined;
  /** Monotonic ms when it expires (5.0 Message Expiry Interval), or undefined. */
  expiresAt: number | undefined;
  /**
   * Monotonic ms after which the broker stops keeping it (`retained_message_expiry`),
   * or undefined. Unlike `expiresAt` it says nothing to subscribers: a message
   * delivered before then carries no Message Expiry Interval it did not have.
   */
  retainedUntil?: number | undefined;
}

/** Whether a retained message is past its Message Expiry Interval or the broker's keep time at `now`. */
export function isRetainedExpired(message: RetainedMessage, now: number): boolean {
  return (
    (message.expiresAt !== undefined && message.expiresAt <= now) ||
    (message.retainedUntil !== undefined && message.retainedUntil <= now)
  );
}

class Node {
  children: Map<string, Node> | undefined;
  message: RetainedMessage | undefined;
}

/** What the bounds look at in a message. */
type Sized = { topic: string; payload: Uint8Array; properties?: PublishProperties | undefined };

/** Which bound refused a retained message. */
export type RetainedRefusal = "count" | "bytes";

/** Bounds of the broker's own `$SYS/` retained messages, kept apart from the clients' bounds. */
export const SYS_RETAINED_BOUNDS = { maxMessages: 1000, maxBytes: 16 * 1024 * 1024 } as const;

/** Whether `topic` is the broker's own (`$SYS/...`, section 4.7.2): outside the clients' bounds. */
export function isSysTopic(topic: string): boolean {
  return topic.startsWith("$SYS/") || topic === "$SYS";
}

/** Messages and bytes (as `storedMessageSize` counts them, like every store) under one pair of bounds. */
class Usage {
  count = 0;
  bytes = 0;
  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number,
  ) {}
}

/**
 * Retained messages, one per topic, in a trie of topic levels so that a SUBSCRIBE
 * walks only the branches its filter can match instead of scanning every topic.
 * Bounded by count and bytes (bytes as the stores count them: topic, payload and
 * properties): a new topic past a bound, or a replacement past the byte bound, is
 * refused (the caller answers, logs and counts it); clearing always works. The
 * broker's own `$SYS/` messages are counted apart ({@link SYS_RETAINED_BOUNDS}),
 * so they never take a client's slot.
 */
export class RetainedStore {
  private readonly root = new Node();
  private readonly clients: Usage;
  private readonly sys = new Usage(SYS_RETAINED_BOUNDS.maxMessages, SYS_RETAINED_BOUNDS.maxBytes);
  /**
   * The longest a client's retained message is kept, in ms (`retained_message_expiry`);
   * 0 keeps it until replaced, cleared or expired by its own Message Expiry Interval.
   * Changing it affects messages retained from then on.
   */
  maxAgeMs = 0;

  constructor(
    readonly maxMessages = 100_000,
    readonly maxBytes = 256 * 1024 * 1024,
  ) {
    this.clients = new Usage(maxMessages, maxBytes);
  }

  /** The `retainedUntil` of a message retained for `topic` at `since` (monotonic ms): undefined when kept without a time bound. */
  untilFor(topic: string, since: number): number | undefined {
    return this.maxAgeMs === 0 || isSysTopic(topic) ? undefined : since + this.maxAgeMs;
  }

  /** Number of retained messages, `$SYS/` ones included. */
  get size(): number {
    return this.clients.count + this.sys.count;
  }

  /** Number of retained messages of clients (what `maxMessages` bounds). */
  get clientCount(): number {
    return this.clients.count;
  }

  /** Bytes held by clients' retained messages (what `maxBytes` bounds). */
  get byteSize(): number {
    return this.clients.bytes;
  }

  /**
   * Which bound `set(message)` would refuse it by, or `undefined` when it would
   * be kept (or is a clear). Changes nothing: the publish policy asks before it
   * acknowledges.
   */
  refusal(message: Sized): RetainedRefusal | undefined {
    if (message.payload.length === 0) return undefined;
    return this.refusalFor(message, this.get(message.topic));
  }

  private refusalFor(message: Sized, replacing: RetainedMessage | undefined): RetainedRefusal | undefined {
    const usage = this.usageOf(message.topic);
    if (replacing === undefined && usage.count + 1 > usage.maxMessages) return "count";
    const bytes = usage.bytes + sizeOf(message) - (replacing === undefined ? 0 : sizeOf(replacing));
    return bytes > usage.maxBytes ? "bytes" : undefined;
  }

  private usageOf(topic: string): Usage {
    return isSysTopic(topic) ? this.sys : this.clients;
  }

  /**
   * Store `message` for its topic, replacing any previous one; an empty payload
   * clears the topic instead [MQTT-3.3.1-10]/[MQTT-3.3.1-11].
   * @returns false when a new topic was refused by the bounds.
   */
  set(message: RetainedMessage): boolean {
    if (message.payload.length === 0) {
      this.delete(message.topic);
      return true;
    }
    // Judged once, before any node is made: sizes are linear in the topic, and a
    // legal topic has up to 65,536 levels.
    if (this.refusalFor(message, this.get(message.topic)) !== undefined) return false;
    let node = this.root;
    for (const level of message.topic.split("/")) {
      let next = node.children?.get(level);
      if (next === undefined) {
        next = new Node();
        node.children ??= new Map();
        node.children.set(level, next);
      }
      node = next;
    }
    const old = node.message;
    const usage = this.usageOf(message.topic);
    if (old === undefined) usage.count++;
    else usage.bytes -= sizeOf(old);
    usage.bytes += sizeOf(message);
    node.message = message;
    return true;
  }

  /** The retained message of `topic`, if any. */
  get(topic: string): RetainedMessage | undefined {
    let node: Node | undefined = this.root;
    for (const level of topic.split("/")) {
      node = node.children?.get(level);
      if (node === undefined) return undefined;
    }
    return node.message;
  }

  /** Remove the retained message of `topic`; frees emptied branches. */
  delete(topic: string): boolean {
    const levels = topic.split("/");
    const path: Node[] = [this.root];
    let node: Node | undefined = this.root;
    for (const level of levels) {
      node = node.children?.get(level);
      if (node === undefined) return false;
      path.push(node);
    }
    const old = node.message;
    if (old === undefined) return false;
    node.message = undefined;
    const usage = this.usageOf(topic);
    usage.count--;
    usage.bytes -= sizeOf(old);
    this.prune(path, levels);
    return true;
  }

  /** Drop nodes on `path` that hold nothing any more, deepest first. */
  private prune(path: Node[], levels: string[]): void {
    for (let i = path.length - 1; i > 0; i--) {
      const node = path[i]!;
      if (node.message !== undefined || (node.children !== undefined && node.children.size > 0)) return;
      path[i - 1]!.children?.delete(levels[i - 1]!);
    }
  }

  /**
   * Every retained message whose topic matches `filter` (no `$share` prefix).
   * Filters starting with a wildcard do not match topics starting with `$`
   * [MQTT-4.7.2-1]. Expired messages (at `now`) are not returned; those past
   * their Message Expiry Interval are removed (the store drops them itself),
   * those past `retainedUntil` are left to the cleanup, which clears the store too.
   */
  match(filter: string, now: number): RetainedMessage[] {
    // Nothing retained, or a filter without wildcards (most SUBSCRIBEs): a lookup,
    // no search stacks and no closure per SUBSCRIBE.
    if (this.root.children === undefined || this.root.children.size === 0) return [];
    if (!filter.includes("+") && !filter.includes("#")) {
      const message = this.get(filter);
      if (message === undefined) return [];
      if (message.expiresAt !== undefined && message.expiresAt <= now) {
        this.delete(filter);
        return [];
      }
      return message.retainedUntil === undefined || message.retainedUntil > now ? [message] : [];
    }
    const out: RetainedMessage[] = [];
    const expired: string[] = [];
    const collect = (message: RetainedMessage): void => {
      if (message.expiresAt !== undefined && message.expiresAt <= now) expired.push(message.topic);
      else if (message.retainedUntil === undefined || message.retainedUntil > now) out.push(message);
    };
    const levels = filter.split("/");
    // Explicit stacks, not recursion: a legal topic or filter has up to 65,536
    // levels, far deeper than the call stack.
    const stack: [Node, number][] = [[this.root, 0]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop()!;
      if (depth === levels.length) {
        if (node.message !== undefined) collect(node.message);
        continue;
      }
      const level = levels[depth]!;
      if (level === "#") {
        // "#" also matches the parent level itself ("a/#" matches "a").
        if (node.message !== undefined && depth > 0) collect(node.message);
        this.collectBelow(node, depth === 0, collect);
        continue;
      }
      if (node.children === undefined) continue;
      if (level === "+") {
        for (const [name, child] of node.children) {
          // Wildcards in the first level do not match "$" topics [MQTT-4.7.2-1].
          if (depth === 0 && name.startsWith("$")) continue;
          stack.push([child, depth + 1]);
        }
        continue;
      }
      const child = node.children.get(level);
      if (child !== undefined) stack.push([child, depth + 1]);
    }
    for (const topic of expired) this.delete(topic);
    return out;
  }

  /** Every message below `start` (not at it), skipping first-level `$` topics when asked. */
  private collectBelow(start: Node, skipDollar: boolean, collect: (m: RetainedMessage) => void): void {
    const stack: Node[] = [];
    if (start.children !== undefined)
      for (const [name, child] of start.children)
        if (!(skipDollar && name.startsWith("$"))) stack.push(child);
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node.message !== undefined) collect(node.message);
      if (node.children !== undefined) for (const child of node.children.values()) stack.push(child);
    }
  }

  /** Every retained message (for `$SYS` counts and persistence). */
  *entries(): IterableIterator<RetainedMessage> {
    const stack: Node[] = [this.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node.message !== undefined) yield node.message;
      if (node.children !== undefined) for (const child of node.children.values()) stack.push(child);
    }
  }
}

function sizeOf(message: Sized): number {
  const { topic, payload, properties } = message;
  return storedMessageSize({
    topic,
    payload,
    qos: 0,
    retain: true,
    ...(properties === undefined ? {} : { properties }),
  });
}
