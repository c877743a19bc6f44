import type { Command } from "./commander.js";

/** A usage error: the command exits with code 2 and the message. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Parse `argv` with `command`. Returns `undefined` when the command should run,
 * or the exit code when commander already answered: 0 for `--help` and
 * `--version`, 2 for a usage error (commander printed it).
 */
export function parseOrExit(command: Command, argv: readonly string[]): number | undefined {
  command.exitOverride();
  try {
    command.parse(argv, { from: "user" });
    return undefined;
  } catch (error) {
    return (error as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
}

/** Run a command's `main` as the process: exit with its code, or 1 with a message when it throws. */
export function runAsProcess(name: string, main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
