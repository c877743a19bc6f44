import type { Command } from "commander";
import type { Database } from "../database.js";
import { AuthDbRequestError } from "../errors.js";
import { PasswordHasher } from "../hashing.js";
import { UserManager } from "../user-manager.js";
import { baseCommand, CommandError, type DbFlags, openFromFlags, parse } from "./common.js";
import { Prompter } from "./prompt.js";

/** Where a command reads answers and writes its messages (the process's by default). */
export interface CommandIo {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

type Job = (db: Database, say: (line: string) => void, prompter: Prompter) => Promise<void>;

/**
 * Run aMQTT's `user_mgr`: `sync`, `list`, `add -c <id>`, `rm -c <id>`, `pwd -c <id>`
 * on the `user_auth` table. Passwords are asked on stdin, never read from the
 * command line. Resolves with the exit code (0 done, 1 failed, 2 usage).
 */
export async function runUserMgr(argv: readonly string[], io: CommandIo = {}): Promise<number> {
  const hasher = new PasswordHasher();
  let job: { run: Job; sync: boolean } | undefined;
  const command = baseCommand(
    "user_mgr",
    "List, create, remove and change the password of clients in the auth database. Passwords are asked, never given on the command line.",
  );
  const sub = (name: string, description: string, withClient: boolean, run: (id: string) => Job): Command => {
    const c = command.command(name).description(description).helpOption("--help", "show this help");
    if (withClient) c.requiredOption("-c, --client-id <id>", "id of the client");
    return c.action((opts: { clientId?: string }) => {
      job = { run: run(opts.clientId ?? ""), sync: name === "sync" };
    });
  };
  sub(
    "sync",
    "Create the tables for user names and hashed passwords (non-destructive).",
    false,
    () => async (db, say) => {
      await new UserManager(db, hasher).sync();
      say("Success: database synced.");
    },
  );
  sub(
    "list",
    "List all client ids in alphabetical order, with their password hashes.",
    false,
    () => async (db, say) => {
      const users = await new UserManager(db, hasher).list();
      for (const user of users) say(`'${user.username}' with password hash: ${user.passwordHash}`);
      if (users.length === 0) say("No client authentications exist.");
    },
  );
  sub(
    "add",
    "Create a new client with a client id and a password (asked).",
    true,
    (id) => async (db, say, prompter) => {
      const password = (await prompter.ask("Enter the client's password: ")).trim();
      if (password === "") throw new CommandError("Error: client password cannot be empty.");
      await new UserManager(db, hasher).create(id, password);
      say(`Success: created '${id}'`);
    },
  );
  sub("rm", "Remove a client from the authentication database.", true, (id) => async (db, say, prompter) => {
    const users = new UserManager(db, hasher);
    if ((await users.get(id)) === undefined) throw new CommandError(`Error: client '${id}' does not exist.`);
    const answer = await prompter.ask(`Please confirm the removal of '${id}'? [y/N]: `);
    if (!/^y(es)?$/i.test(answer.trim())) return;
    if (!(await users.delete(id))) throw new CommandError(`Error: client '${id}' does not exist.`);
    say(`Success: '${id}' was removed.`);
  });
  sub("pwd", "Update a client's password (asked).", true, (id) => async (db, say, prompter) => {
    const password = (await prompter.ask("Enter the client's new password: ")).trim();
    if (password === "") throw new CommandError("Error: client password cannot be empty.");
    await new UserManager(db, hasher).setPassword(id, password);
    say(`Success: client '${id}' password updated.`);
  });
  return runJob(command, argv, io, () => job);
}

/** Parse, open the database, run the chosen sub-command, report. Shared by user_mgr and topic_mgr. */
export async function runJob(
  command: Command,
  argv: readonly string[],
  io: CommandIo,
  chosen: () => { run: Job; sync: boolean } | undefined,
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  command.configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  const exit = await parse(command, argv);
  if (exit !== undefined) return exit;
  const job = chosen();
  if (job === undefined) {
    command.outputHelp({ error: true });
    return 2;
  }
  const prompter = new Prompter(io.stdin ?? process.stdin, stderr);
  let db: Database | undefined;
  try {
    db = await openFromFlags(command.opts<DbFlags>(), job.sync, prompter);
    await job.run(db, (line) => stdout.write(`${line}\n`), prompter);
    return 0;
  } catch (error) {
    const known = error instanceof CommandError || error instanceof AuthDbRequestError;
    stderr.write(`${known ? "" : `${command.name()}: `}${(error as Error).message}\n`);
    return 1;
  } finally {
    prompter.close();
    await db?.close();
  }
}
