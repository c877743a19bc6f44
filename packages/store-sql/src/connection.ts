/** One row as a driver returns it. */
export type Row = Record<string, unknown>;

/** What a statement returned. */
export interface QueryResult {
  rows: Row[];
  /** Rows inserted, updated or deleted. */
  affected: number;
  /** MySQL's `LAST_INSERT_ID()` of the statement (0 elsewhere). */
  insertId: number;
}

/**
 * One database session, as the store uses it: statements in order, one at a
 * time. A lost connection or a timeout rejects with `StoreConnectionError` and
 * sets `lost`; after that the session is unusable.
 * @internal
 */
export interface SqlConnection {
  /** Run one statement; `?` marks the parameters. */
  query(sql: string, params?: readonly unknown[]): Promise<QueryResult>;
  /** True once the connection broke (the server went away, a timeout, an I/O error). */
  readonly lost: boolean;
  /** Close it; never rejects. */
  close(): Promise<void>;
}

/** How long a connection may take (both drivers). @internal */
export interface ConnectionTimeouts {
  connectTimeoutMs: number;
  queryTimeoutMs: number;
}

/** Wait for `closing` at most `ms`; a broken socket must not hold up a shutdown. @internal */
export async function closeWithin(closing: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    closing.catch(() => {}),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** An error's message (drivers never put the password in it). @internal */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
