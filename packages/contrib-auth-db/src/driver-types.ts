/** Bounds of the connection pool and of the work waiting for it. */
export interface PoolLimits {
  /** Connections open at most (default 5). */
  size: number;
  /** Longest wait for a connection or a query, in ms (default 5000). */
  timeoutMs: number;
  /** Queries waiting or running at most; more fail at once with `DatabaseBusyError` (default 1000). */
  maxPending: number;
}

/** One row as the driver returns it. */
export type Row = Record<string, unknown>;

/** What a dialect's driver wrapper implements. */
export interface Driver {
  query(sql: string, params: readonly unknown[]): Promise<Row[]>;
  run(sql: string, params: readonly unknown[]): Promise<number>;
  close(): Promise<void>;
}
