import { z } from "zod";
import { HASH_SCHEMES } from "./hashing.js";

/** Options both plugins share: aMQTT's `connection` and `sync_schema`, and our pool bounds. */
const shared = {
  /** aMQTT's SQLAlchemy URL: `sqlite+aiosqlite:///auth.db`, `postgresql+asyncpg://user:pw@host:5432/db`, `mysql+aiomysql://...`. */
  connection: z.string().min(1),
  /** Create the tables at start when missing (aMQTT default false). */
  sync_schema: z.boolean().default(false),
  /** Ours: connections open at most. */
  pool_size: z.int().min(1).max(100).default(5),
  /** Ours: longest wait for the database, in seconds; past it the client is denied. */
  timeout: z.number().positive().max(60).default(5),
  /** Ours: database queries waiting at most; past it clients are denied at once. */
  max_pending: z.int().min(1).default(1000),
};

/** Options of `amqtt.contrib.auth_db.UserAuthDBPlugin`. */
export const userAuthDbOptions = z.strictObject({
  ...shared,
  /** Schemes for passwords: the first hashes new ones; all verify (aMQTT default `[argon2, bcrypt]`). */
  hash_schemes: z.array(z.enum(HASH_SCHEMES)).default(["argon2", "bcrypt"]),
});

/** Options of `amqtt.contrib.auth_db.TopicAuthDBPlugin`. */
export const topicAuthDbOptions = z.strictObject(shared);

/** Validated options of the user plugin. */
export type UserAuthDbOptions = z.output<typeof userAuthDbOptions>;
/** Validated options of the topic plugin. */
export type TopicAuthDbOptions = z.output<typeof topicAuthDbOptions>;
/** Options as written (defaults not applied). */
export type UserAuthDbOptionsInput = z.input<typeof userAuthDbOptions>;
/** Options as written (defaults not applied). */
export type TopicAuthDbOptionsInput = z.input<typeof topicAuthDbOptions>;
