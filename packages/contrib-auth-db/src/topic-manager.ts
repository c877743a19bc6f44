import type { Database } from "./database.js";
import { AuthDbRequestError } from "./errors.js";
import { ACL_ACTIONS, type AclAction, syncSchema, TOPIC_TABLE, topicsJson, topicsOf } from "./schema.js";

/** One row of `topic_auth`: the filters a user may use per action. */
export interface TopicAuthRecord {
  username: string;
  publish: string[];
  subscribe: string[];
  receive: string[];
}

/** Read and change the per-user topic lists of aMQTT's `topic_auth` table (aMQTT's `TopicManager`). */
export class TopicManager {
  constructor(private readonly db: Database) {}

  /** Create the tables when missing. */
  sync(): Promise<void> {
    return syncSchema(this.db);
  }

  /** A user's lists, or `undefined` when the user has no row. */
  async get(username: string): Promise<TopicAuthRecord | undefined> {
    const rows = await this.db.query(
      `SELECT username, publish_acl, subscribe_acl, receive_acl FROM ${TOPIC_TABLE} WHERE username = ?`,
      [username],
    );
    return rows[0] === undefined ? undefined : recordOf(rows[0]);
  }

  /** Every user's lists, by name. */
  async list(): Promise<TopicAuthRecord[]> {
    const rows = await this.db.query(
      `SELECT username, publish_acl, subscribe_acl, receive_acl FROM ${TOPIC_TABLE} ORDER BY username`,
    );
    return rows.map(recordOf);
  }

  /** Add a row with empty lists; fails when the user has one. */
  async create(username: string): Promise<void> {
    if ((await this.get(username)) !== undefined)
      throw new AuthDbRequestError(`Username '${username}' already exists.`);
    const empty = topicsJson([]);
    await this.db.run(
      `INSERT INTO ${TOPIC_TABLE} (username, publish_acl, subscribe_acl, receive_acl) VALUES (?, ?, ?, ?)`,
      [username, empty, empty, empty],
    );
  }

  /** Allow `topic` for `action`; MQTT does not let clients publish to `$` topics, so those are refused. */
  async addTopic(username: string, topic: string, action: AclAction): Promise<string[]> {
    if (action === "publish" && topic.startsWith("$"))
      throw new AuthDbRequestError("MQTT does not allow clients to publish to $ topics.");
    const record = await this.require(username);
    const list = [...record[action], topic];
    await this.write(username, action, list);
    return list;
  }

  /** Remove `topic` from `action`'s list; fails when it is not there. */
  async removeTopic(username: string, topic: string, action: AclAction): Promise<string[]> {
    const record = await this.require(username);
    if (!record[action].includes(topic))
      throw new AuthDbRequestError(
        `Client '${username}' doesn't have topic '${topic}' for action '${action}'.`,
      );
    const list = record[action].filter((t) => t !== topic);
    await this.write(username, action, list);
    return list;
  }

  private async require(username: string): Promise<TopicAuthRecord> {
    const record = await this.get(username);
    if (record === undefined) throw new AuthDbRequestError(`Username '${username}' doesn't exist.`);
    return record;
  }

  private async write(username: string, action: AclAction, list: readonly string[]): Promise<void> {
    if (!ACL_ACTIONS.includes(action)) throw new AuthDbRequestError(`unknown action '${action}'`);
    await this.db.run(`UPDATE ${TOPIC_TABLE} SET ${action}_acl = ? WHERE username = ?`, [
      topicsJson(list),
      username,
    ]);
  }
}

function recordOf(row: Record<string, unknown>): TopicAuthRecord {
  return {
    username: String(row.username),
    publish: topicsOf(row.publish_acl),
    subscribe: topicsOf(row.subscribe_acl),
    receive: topicsOf(row.receive_acl),
  };
}
