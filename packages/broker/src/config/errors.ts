/** One problem found in a configuration, located by its key path. */
export interface ConfigIssue {
  /** Key path in the configuration, e.g. `listeners.secure.max_connections`. Empty for the root. */
  path: string;
  /** What is wrong and what was expected. */
  message: string;
}

/**
 * A configuration the broker does not understand. The broker never starts on
 * one: every issue names the key path and what was expected.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  /** Every problem found, in document order. */
  readonly issues: readonly ConfigIssue[];
  /** The file the configuration came from, when it came from one. */
  readonly file: string | undefined;

  constructor(issues: ConfigIssue[], file?: string, options?: { cause?: unknown }) {
    const where = file === undefined ? "configuration" : `configuration ${file}`;
    const lines = issues.map((i) => `  - ${i.path === "" ? "(root)" : i.path}: ${i.message}`);
    super(`invalid ${where}:\n${lines.join("\n")}`, options);
    this.issues = issues;
    this.file = file;
  }
}
