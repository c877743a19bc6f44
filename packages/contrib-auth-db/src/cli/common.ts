import { existsSync } from "node:fs";
import { Command, Option } from "commander";
import type { ConnectionTarget } from "../connection.js";
import { type Database, openDatabase } from "../database.js";
import type { Prompter } from "./prompt.js";

/** A failure the command reports and exits 1 for. */
export class CommandError extends Error {
  override name = "CommandError";
}

/** The database options every sub-command takes (aMQTT's `--db`, `--username`, `--port`, `--host`, `--file`). */
export interface DbFlags {
  db: "mariadb" | "mysql" | "postgresql" | "sqlite";
  username: string;
  port?: number;
  host: string;
  file: string;
  database?: string;
}

/** The command with aMQTT's database flags (`-h` is the host, so help is `--help` only, as aMQTT). */
export function baseCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .addOption(
      new Option("-d, --db <type>", "db type")
        .choices(["mariadb", "mysql", "postgresql", "sqlite"])
        .makeOptionMandatory(),
    )
    .option("-u, --username <name>", "db username", "")
    .option("-p, --port <port>", "database port (defaults to db type)", (v) => Number.parseInt(v, 10))
    .option("-h, --host <host>", "database host", "localhost")
    .option("-f, --file <path>", "database file name (sqlite only)", "auth.db")
    .option("-n, --database <name>", "database name (postgresql, mysql; aMQTT's URL has none)")
    .helpOption("--help", "show this help")
    .showHelpAfterError();
}

/**
 * Open the database the flags name, as aMQTT does: a SQLite file must exist
 * except for `sync`; a server needs a user name, and its password is asked
 * (never taken from the command line).
 */
export async function openFromFlags(flags: DbFlags, forSync: boolean, prompter: Prompter): Promise<Database> {
  if (flags.db === "sqlite") {
    if (!forSync && !existsSync(flags.file))
      throw new CommandError(`SQLite option could not find '${flags.file}'`);
    return openDatabase({ dialect: "sqlite", file: flags.file });
  }
  if (flags.username === "") throw new CommandError("DB access requires a username be provided.");
  const password = await prompter.ask("Enter the db password (press enter for none): ");
  const target: ConnectionTarget = {
    dialect: flags.db === "postgresql" ? "postgresql" : "mysql",
    host: flags.host,
    port: flags.port,
    user: flags.username,
    password: password === "" ? undefined : password,
    database: flags.database,
    socket: undefined,
  };
  return openDatabase(target);
}

/** Parse `argv`; resolves to an exit code when commander answered (help, usage error), else undefined. */
export async function parse(command: Command, argv: readonly string[]): Promise<number | undefined> {
  command.exitOverride();
  for (const sub of command.commands) sub.exitOverride();
  try {
    await command.parseAsync(argv, { from: "user" });
    return undefined;
  } catch (error) {
    return (error as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
}
