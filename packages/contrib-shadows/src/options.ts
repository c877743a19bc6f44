import { z } from "zod";

/** Options of `amqtt.contrib.shadows.ShadowPlugin`. */
export const shadowOptions = z.strictObject({
  /**
   * aMQTT's SQLAlchemy URL of the database keeping the shadows (`sqlite+aiosqlite:///shadows.db`,
   * `postgresql+asyncpg://...`, `mysql+aiomysql://...`). aMQTT requires it; here, without it,
   * the newest version of each shadow is kept in memory.
   */
  connection: z.string().min(1).optional(),
  /** Ours: shadows kept in memory at most (without `connection`). */
  max_shadows: z.int().min(1).default(10_000),
  /** Ours: requests waiting at most; more are dropped and logged. */
  max_pending: z.int().min(1).default(1000),
  /** Ours: database connections at most. */
  pool_size: z.int().min(1).max(100).default(5),
  /** Ours: seconds to wait for the database. */
  timeout: z.number().positive().max(60).default(5),
});

/** Options of `amqtt.contrib.shadows.ShadowTopicAuthPlugin`. */
export const shadowTopicAuthOptions = z.strictObject({
  /** User names that may use every device's shadow topics (the central application). */
  superusers: z.array(z.string()).default([]),
});

/** Options as written. */
export type ShadowOptionsInput = z.input<typeof shadowOptions>;
/** Options as written. */
export type ShadowTopicAuthOptionsInput = z.input<typeof shadowTopicAuthOptions>;
