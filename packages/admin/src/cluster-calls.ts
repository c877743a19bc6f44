import type { AdminRequest, ClusterView, SessionInfo } from "@amqtt/broker";
import { ApiError } from "./errors.js";
import { cursorAfter } from "./http-kit.js";

// Lists and lookups that span the nodes of a cluster: each live node is asked
// for one page (in client id order, after the cursor) through the engine, the
// pages are merged, and the first `limit` form the answer. A node that does not
// answer within the view's request timeout is named in `missingNodes`.

/** A session with the node that holds it. */
export interface NodeSession {
  node: string;
  session: SessionInfo;
}

/** One page of sessions across the cluster. */
export interface ClusterPage {
  items: NodeSession[];
  nextCursor: string | null;
  /** Live nodes that did not answer in time (their items are missing). */
  missingNodes: string[];
}

/** A list request without its page (every node gets the same one). */
export type ListRequest =
  | Omit<AdminRequest & { kind: "clients" }, "page">
  | Omit<AdminRequest & { kind: "sessions" }, "page">;

/** Ask every live node for one page of `request` and merge them in client id order. */
export async function clusterPage(
  view: ClusterView,
  request: ListRequest,
  page: { limit: number; after: string | undefined },
): Promise<ClusterPage> {
  const nodes = view.liveNodes();
  // One more than asked: whether a next page exists is known without another round.
  const asked = { ...request, page: { after: page.after, limit: page.limit + 1 } } as AdminRequest & {
    kind: "clients" | "sessions";
  };
  const answers = await Promise.allSettled(nodes.map((node) => view.ask(node, asked)));
  const missingNodes: string[] = [];
  // A client id is online on one node at most; an offline copy elsewhere yields to the online one.
  const byId = new Map<string, NodeSession>();
  answers.forEach((answer, i) => {
    const node = nodes[i]!;
    if (answer.status === "rejected") {
      missingNodes.push(node);
      return;
    }
    for (const session of answer.value) {
      const known = byId.get(session.clientId);
      if (known === undefined || (!known.session.online && session.online))
        byId.set(session.clientId, { node, session });
    }
  });
  const merged = [...byId.values()].sort((a, b) =>
    a.session.clientId < b.session.clientId ? -1 : a.session.clientId > b.session.clientId ? 1 : 0,
  );
  const items = merged.slice(0, page.limit);
  const nextCursor =
    merged.length > page.limit && items.length > 0
      ? cursorAfter(items[items.length - 1]!.session.clientId)
      : null;
  return { items, nextCursor, missingNodes };
}

/**
 * Run a request to another node, answering an API error when it cannot be
 * done: the node did not answer, the engine is down, too many requests wait.
 */
export async function onNode<T>(node: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (
      name === "ClusterRequestTimeoutError" ||
      name === "TooManyClusterRequestsError" ||
      name === "RemoteRequestError" ||
      name === "ClusterUnavailableError" ||
      name === "InboxFullError"
    )
      throw new ApiError("node_unavailable", `node ${node} cannot be asked now: ${(error as Error).message}`);
    throw error;
  }
}

/**
 * The node where `clientId`'s session lives: this one when it holds it, else
 * the owner the cluster's session registry names (`undefined`: none).
 */
export async function ownerOf(
  view: ClusterView,
  clientId: string,
  local: boolean,
): Promise<string | undefined> {
  if (local) return view.nodeId;
  const owner = await onNode("registry", () => view.owner(clientId));
  if (owner === undefined || owner === view.nodeId) return undefined;
  // An owner whose lease expired is not asked (its sessions are being adopted).
  return view.liveNodes().includes(owner) ? owner : undefined;
}
