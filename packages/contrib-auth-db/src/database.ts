import type { ConnectionTarget } from "./connection.js";
import type { Driver, PoolLimits, Row } from "./driver-types.js";

export type { Driver, PoolLimits, Row } from "./driver-types.js";

/** The default pool bounds. */
export const DEFAULT_POOL_LIMITS: PoolLimits = { size: 5, timeoutMs: 5000, maxPending: 1000 };

/** The database could not answer: unreachable, refused, failed or too slow. */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
}

/** Too many queries are waiting already (the bound is `PoolLimits.maxPending`). */
export class DatabaseBusyError extends Error {
  override name = "DatabaseBusyError";
}

/** The few calls the managers make; `?` marks parameters in every dialect. */
export interface Database {
  readonly dialect: ConnectionTarget["dialect"];
  /** Rows of a SELECT. */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Run a statement; resolves with the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  close(): Promise<void>;
}

/** Open a database: the driver is loaded only for the dialect used. */
export async function openDatabase(
  target: ConnectionTarget,
  limits: Partial<PoolLimits> = {},
): Promise<Database> {
  const bounds = { ...DEFAULT_POOL_LIMITS, ...limits };
  let driver: Driver;
  switch (target.dialect) {
    case "sqlite":
      driver = (await import("./drivers/sqlite.js")).openSqlite(target.file);
      break;
    case "postgresql":
      driver = (await import("./drivers/postgres.js")).openPostgres(target, bounds);
      break;
    case "mysql":
      driver = (await import("./drivers/mysql.js")).openMysql(target, bounds);
      break;
  }
  return new BoundedDatabase(target.dialect, driver, bounds);
}

/** Every call bounded in time and in number waiting; driver errors become `DatabaseUnavailableError`. */
export class BoundedDatabase implements Database {
  private pending = 0;

  constructor(
    readonly dialect: ConnectionTarget["dialect"],
    private readonly driver: Driver,
    private readonly limits: PoolLimits,
  ) {}

  /** Queries waiting or running now. */
  get pendingCount(): number {
    return this.pending;
  }

  query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.bounded(() => this.driver.query(sql, params));
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.bounded(() => this.driver.run(sql, params));
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  private async bounded<T>(call: () => Promise<T>): Promise<T> {
    if (this.pending >= this.limits.maxPending)
      throw new DatabaseBusyError(`${this.pending} database queries are waiting already`);
    this.pending++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new DatabaseUnavailableError(`no answer from the database in ${this.limits.timeoutMs} ms`)),
        this.limits.timeoutMs,
      );
    });
    try {
      return await Promise.race([call(), timeout]);
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) throw error;
      throw new DatabaseUnavailableError(`database error: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
      this.pending--;
    }
  }
}
