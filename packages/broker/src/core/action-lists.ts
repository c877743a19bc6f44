import { ListPool, type SessionAction } from "@amqtt/session";

/** Lists kept for reuse: one per nesting level of a synchronous run (a publisher's actions deliver to subscribers, whose actions nest inside). */
export const ACTION_LISTS_MAX_FREE = 8;
/** Longest list kept for reuse; a longer one (a chunk of hundreds of packets) is dropped, so a burst does not pin its slots. */
export const ACTION_LIST_MAX_KEPT = 64;

/**
 * The lists a session machine appends its actions to while a connection
 * carries them out at once (bytes in, a delivery, a PUBLISH answer): a QoS 1
 * message made four new lists (issue 19). A list is taken for one synchronous
 * run and given back; a run nested inside another (a delivery inside the
 * publisher's actions) takes its own. Nothing may keep a list past its run:
 * actions are carried out or copied before it ends. Shared by every broker in
 * the process, as the event loop is: two brokers never see each other's actions.
 */
export const actionLists = new ListPool<SessionAction>(ACTION_LISTS_MAX_FREE, ACTION_LIST_MAX_KEPT);
