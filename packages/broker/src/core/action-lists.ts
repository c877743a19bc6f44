import type { SessionAction } from "@amqtt/session";

/** Lists an {@link ActionLists} keeps for reuse: one per nesting level of a synchronous run (a publisher's actions deliver to subscribers, whose actions nest inside). */
export const ACTION_LISTS_MAX_FREE = 8;
/** Longest list kept for reuse; a longer one (a chunk of hundreds of packets) is dropped, so a burst does not pin its slots. */
export const ACTION_LIST_MAX_KEPT = 64;

/**
 * The lists a session machine appends its actions to while a connection
 * carries them out at once (bytes in, a delivery, a PUBLISH answer): a new list
 * with its first push costs about 185 bytes on V8, and a QoS 1 message made
 * four (issue 19). A list is taken for one synchronous run and given back
 * emptied (`pop` keeps its slots, `length = 0` would not); a run nested inside
 * another (a delivery inside the publisher's actions) takes its own. Nothing may
 * keep a list past its run: actions are carried out or copied before it ends.
 */
export class ActionLists {
  private readonly free: SessionAction[][] = [];

  /** An empty list for one run. */
  take(): SessionAction[] {
    return this.free.pop() ?? [];
  }

  /** The run is over: `list` is emptied and kept (within the bounds). */
  give(list: SessionAction[]): void {
    if (list.length > ACTION_LIST_MAX_KEPT || this.free.length >= ACTION_LISTS_MAX_FREE) return;
    while (list.length > 0) list.pop();
    this.free.push(list);
  }

  /** Lists waiting for reuse (for tests of the bound). */
  get kept(): number {
    return this.free.length;
  }
}

/**
 * The lists of this process's connections. Shared by every broker in the
 * process, as the event loop is: a list only lives for one synchronous run, so
 * two brokers never see each other's actions.
 */
export const actionLists = new ActionLists();
