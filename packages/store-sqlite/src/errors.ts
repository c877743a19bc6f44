/** Why {@link StoreFormatError} refused a file. */
export type StoreFormatProblem =
  /** The file is not an SQLite database (wrong header, or SQLite could not read it). */
  | "not-sqlite"
  /** An SQLite database that this package did not create (another application id, or foreign tables). */
  | "foreign"
  /** A database of this package written by a newer release (a higher schema version). */
  | "newer-version"
  /** A database that claims to be ours but whose schema version is impossible (0 or negative). */
  | "damaged";

/**
 * `open()` refused a file it cannot use. The file is left exactly as it was:
 * nothing is written to it. Callers branch on `name === "StoreFormatError"` and
 * on `problem`, never on the message text.
 */
export class StoreFormatError extends Error {
  override name = "StoreFormatError";
  /** The database file. */
  readonly path: string;
  /** What is wrong with it. */
  readonly problem: StoreFormatProblem;
  /** What was found, in words (a header, an application id, a version, table names). */
  readonly found: string;

  constructor(path: string, problem: StoreFormatProblem, found: string, options?: ErrorOptions) {
    super(`${path}: ${describe(problem)} (found ${found}); the file was not modified`, options);
    this.path = path;
    this.problem = problem;
    this.found = found;
  }
}

function describe(problem: StoreFormatProblem): string {
  switch (problem) {
    case "not-sqlite":
      return "not an SQLite database";
    case "foreign":
      return "an SQLite database of another application, not an @amqtt/store-sqlite store";
    case "newer-version":
      return "an @amqtt/store-sqlite store written by a newer release; upgrade to open it";
    case "damaged":
      return "an @amqtt/store-sqlite store with an invalid schema version";
  }
}
