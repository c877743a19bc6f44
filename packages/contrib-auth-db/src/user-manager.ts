import type { Database } from "./database.js";
import { AuthDbRequestError } from "./errors.js";
import type { PasswordHasher } from "./hashing.js";
import { syncSchema, topicsJson, USER_TABLE } from "./schema.js";

/** A row of `user_auth` as the manager returns it. */
export interface UserAuthRecord {
  username: string;
  passwordHash: string;
}

/** Create, list, change, verify and delete users in aMQTT's `user_auth` table (aMQTT's `UserManager`). */
export class UserManager {
  constructor(
    private readonly db: Database,
    private readonly hasher: PasswordHasher,
  ) {}

  /** Create the tables when missing. */
  sync(): Promise<void> {
    return syncSchema(this.db);
  }

  /** The user, or `undefined`. */
  async get(username: string): Promise<UserAuthRecord | undefined> {
    const rows = await this.db.query(`SELECT username, password_hash FROM ${USER_TABLE} WHERE username = ?`, [
      username,
    ]);
    const row = rows[0];
    return row === undefined
      ? undefined
      : { username: String(row.username), passwordHash: String(row.password_hash) };
  }

  /** Every user, by name. */
  async list(): Promise<UserAuthRecord[]> {
    const rows = await this.db.query(`SELECT username, password_hash FROM ${USER_TABLE} ORDER BY username`);
    return rows.map((row) => ({ username: String(row.username), passwordHash: String(row.password_hash) }));
  }

  /** Add a user; fails when the name is taken. */
  async create(username: string, password: string): Promise<UserAuthRecord> {
    if ((await this.get(username)) !== undefined)
      throw new AuthDbRequestError(`Username '${username}' already exists.`);
    const passwordHash = await this.hasher.hash(password);
    const empty = topicsJson([]);
    await this.db.run(
      `INSERT INTO ${USER_TABLE} (username, password_hash, publish_acl, subscribe_acl, receive_acl) VALUES (?, ?, ?, ?, ?)`,
      [username, passwordHash, empty, empty, empty],
    );
    return { username, passwordHash };
  }

  /** Change a user's password; fails for an unknown user. */
  async setPassword(username: string, password: string): Promise<void> {
    const passwordHash = await this.hasher.hash(password);
    const changed = await this.db.run(`UPDATE ${USER_TABLE} SET password_hash = ? WHERE username = ?`, [
      passwordHash,
      username,
    ]);
    if (changed === 0) throw new AuthDbRequestError(`Username '${username}' doesn't exist.`);
  }

  /** Remove a user; resolves false when there was none. */
  async delete(username: string): Promise<boolean> {
    return (await this.db.run(`DELETE FROM ${USER_TABLE} WHERE username = ?`, [username])) > 0;
  }

  /**
   * Check a user's password. A valid password stored in an older scheme is
   * re-hashed with the preferred one and written back, as aMQTT does.
   */
  async verify(username: string, password: string): Promise<boolean> {
    const user = await this.get(username);
    if (user === undefined) return false;
    const check = await this.hasher.verify(user.passwordHash, password);
    if (check.upgraded !== undefined)
      // Only if the row still holds the hash we checked: a concurrent password change wins.
      await this.db.run(
        `UPDATE ${USER_TABLE} SET password_hash = ? WHERE username = ? AND password_hash = ?`,
        [check.upgraded, username, user.passwordHash],
      );
    return check.valid;
  }
}
