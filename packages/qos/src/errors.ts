/** Options of the snapshot errors. */
export interface SnapshotErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * A snapshot written by a format version this package does not read. Carries the
 * version found, so a caller can migrate or discard the data.
 */
export class UnsupportedSnapshotVersionError extends Error {
  override name = "UnsupportedSnapshotVersionError";
  /** The `version` field found in the snapshot (any JSON value). */
  readonly version: unknown;
  /** The versions this package reads. */
  readonly supported: readonly number[];

  constructor(kind: string, version: unknown, supported: readonly number[]) {
    super(
      `cannot restore a ${kind} snapshot of version ${JSON.stringify(version)}; supported: ${supported.join(", ")}`,
    );
    this.version = version;
    this.supported = supported;
  }
}

/** A snapshot whose version is known but whose content is not valid. */
export class InvalidSnapshotError extends Error {
  override name = "InvalidSnapshotError";
  constructor(message: string, options: SnapshotErrorOptions = {}) {
    super(message, { cause: options.cause });
  }
}
