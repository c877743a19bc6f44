import type { PublishProperties, QoS } from "@amqtt/codec";

/** A retained message as the broker keeps it. */
export interface RetainedMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  properties: PublishProperties | undefined;
  /** Monotonic ms when it expires (5.0 Message Expiry Interval), or undefined. */
  expiresAt: number | undefined;
}

class Node {
  children: Map<string, Node> | undefined;
  message: RetainedMessage | undefined;
}

/**
 * Retained messages, one per topic, in a trie of topic levels so that a SUBSCRIBE
 * walks only the branches its filter can match instead of scanning every topic.
 * Bounded by count and bytes: a store over its bound refuses new topics (the
 * caller logs and counts it); replacing or clearing a topic always works.
 */
export class RetainedStore {
  private readonly root = new Node();
  private count = 0;
  private bytes = 0;

  constructor(
    readonly maxMessages = 100_000,
    readonly maxBytes = 256 * 1024 * 1024,
  ) {}

  /** Number of retained messages. */
  get size(): number {
    return this.count;
  }

  /** Payload bytes held. */
  get byteSize(): number {
    return this.bytes;
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
    const levels = message.topic.split("/");
    let node = this.root;
    const path: Node[] = [node];
    for (const level of levels) {
      let next = node.children?.get(level);
      if (next === undefined) {
        if (!this.hasRoomFor(message.payload.length, undefined)) {
          this.prune(path, levels);
          return false;
        }
        next = new Node();
        node.children ??= new Map();
        node.children.set(level, next);
      }
      node = next;
      path.push(node);
    }
    const old = node.message;
    if (!this.hasRoomFor(message.payload.length, old)) {
      if (old === undefined) this.prune(path, levels);
      return false;
    }
    if (old === undefined) this.count++;
    else this.bytes -= old.payload.length;
    this.bytes += message.payload.length;
    node.message = message;
    return true;
  }

  private hasRoomFor(size: number, replacing: RetainedMessage | undefined): boolean {
    const count = this.count + (replacing === undefined ? 1 : 0);
    const bytes = this.bytes + size - (replacing?.payload.length ?? 0);
    return count <= this.maxMessages && bytes <= this.maxBytes;
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
    this.count--;
    this.bytes -= old.payload.length;
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
   * [MQTT-4.7.2-1]. Expired messages (at `now`) are removed, not returned.
   */
  match(filter: string, now: number): RetainedMessage[] {
    const out: RetainedMessage[] = [];
    const expired: string[] = [];
    const collect = (message: RetainedMessage): void => {
      if (message.expiresAt !== undefined && message.expiresAt <= now) expired.push(message.topic);
      else out.push(message);
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
