import type { DisconnectReasonName, SessionInfo, SubscriptionInfo } from "../plugins/context-types.js";
import { EnvelopeFormatError } from "./envelopes.js";

// The `admin` channel between nodes: the requests an admin API on one node
// makes of another (list its clients or sessions, show or disconnect one
// client) and their answers. JSON: rare, small, bounded. (Status snapshots go
// to the engine itself, `ClusterBus.publishStatus`, not through inboxes.)

/** The channel of admin requests and answers. */
export const ADMIN_CHANNEL = "admin";

/** Most items one node returns for one list request. */
export const MAX_REMOTE_PAGE = 1000;

/** A list request's filter and page: items in client id order after `after`, at most `limit`. */
export interface RemotePage {
  after: string | undefined;
  limit: number;
}

/** What one node may ask another. */
export type AdminRequest =
  | {
      kind: "clients";
      page: RemotePage;
      search: string | undefined;
      protocol: string | undefined;
      listener: string | undefined;
    }
  | { kind: "sessions"; page: RemotePage; state: "online" | "offline" | undefined }
  | { kind: "client"; clientId: string }
  | { kind: "disconnect"; clientId: string; reason: DisconnectReasonName };

/** A session of another node with its subscriptions (the answer to `client`). */
export interface RemoteClient {
  session: SessionInfo;
  subscriptions: SubscriptionInfo[];
}

/** The answer's value per request kind. */
export interface AdminAnswers {
  clients: SessionInfo[];
  sessions: SessionInfo[];
  client: RemoteClient | null;
  disconnect: boolean;
}

/** A message on the admin channel. */
export type AdminMessage =
  | { type: "request"; requestId: string; request: AdminRequest }
  | { type: "answer"; requestId: string; value?: unknown; error?: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encode an admin message. */
export function encodeAdmin(message: AdminMessage): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/** Decode an admin message. Throws {@link EnvelopeFormatError} on one it cannot read. */
export function decodeAdmin(body: Uint8Array): AdminMessage {
  let value: AdminMessage;
  try {
    value = JSON.parse(decoder.decode(body)) as AdminMessage;
  } catch (error) {
    throw new EnvelopeFormatError("admin envelope is not JSON", { cause: error });
  }
  if (value === null || typeof value !== "object" || typeof value.type !== "string")
    throw new EnvelopeFormatError("admin envelope without a type");
  return value;
}
