/** One problem of a `bridges:` entry, with the path of the field it is about. */
export interface BridgeConfigIssue {
  /** The field, as written in the configuration: `bridges[0].topics[1].direction`. */
  field: string;
  message: string;
}

/**
 * A `bridges:` configuration that cannot run. Lists every problem found, each
 * naming its field, so one run of the broker shows them all.
 */
export class BridgeConfigError extends Error {
  override readonly name = "BridgeConfigError";
  readonly issues: readonly BridgeConfigIssue[];

  constructor(issues: readonly BridgeConfigIssue[], options?: ErrorOptions) {
    super(
      `invalid bridges configuration: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`,
      options,
    );
    this.issues = issues;
  }

  /** The fields with a problem, in the order found. */
  get fields(): string[] {
    return this.issues.map((i) => i.field);
  }
}

/** A bridge asked to do something its state does not allow (start twice, use after stop). */
export class BridgeStateError extends Error {
  override readonly name = "BridgeStateError";
}
