import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { createInterface } from "node:readline/promises";
import { Writable } from "node:stream";
import {
  deriveScramCredentials,
  formatPasswordFile,
  formatScramCredentials,
  hashPassword,
  parsePasswordFile,
} from "@amqtt/broker";
import { parseOrExit, UsageError } from "./command-line.js";
import { Command } from "./commander.js";
import { VERSION } from "./version.js";

/** Options of `amqtt_passwd`, after parsing. */
interface PasswdOptions {
  create?: boolean;
  batch?: boolean;
  delete?: boolean;
  algorithm: "argon2id" | "bcrypt" | "mosquitto" | "scram";
}

/** Build the `amqtt_passwd` command (like `mosquitto_passwd`). */
export function passwdCommand(): Command {
  return new Command("amqtt_passwd")
    .description(
      "Add, change or delete users in the password file the broker's file-auth plugin reads " +
        "(one username:hash per line; argon2id by default).",
    )
    .version(`amqtt_passwd ${VERSION}`, "--version", "print the version and exit")
    .argument("<passwordfile>", "the password file")
    .argument("<username>", "the user to add, change or delete")
    .argument("[password]", "the password (with -b; otherwise asked on the terminal)")
    .option("-c, --create", "create the file, replacing one that exists")
    .option("-b, --batch", "take the password from the command line")
    .option("-D, --delete", "delete the user")
    .option(
      "-a, --algorithm <name>",
      "argon2id (default), bcrypt, mosquitto (mosquitto_passwd's $7$, for files Mosquitto shares) or scram (SCRAM-SHA-256 credentials: also enables 5.0 enhanced authentication)",
      "argon2id",
    )
    .helpOption("-h, --help", "show this help")
    .showHelpAfterError();
}

/** Ask for the password twice on the terminal without echoing it (or read two lines from a pipe). */
async function askPassword(): Promise<string> {
  // One interface for both answers (two would lose piped input); its output goes to
  // a sink, so what is typed is not shown, and the prompts go to stderr.
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: sink, terminal: process.stdin.isTTY === true });
  // Lines are read through the iterator, which keeps lines that arrive before they are asked for.
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (prompt: string): Promise<string> => {
    process.stderr.write(prompt);
    const next = await lines.next();
    process.stderr.write("\n");
    if (next.done === true) throw new UsageError("no password given");
    return next.value;
  };
  try {
    const first = await ask("Password: ");
    const again = await ask("Reenter password: ");
    if (first !== again) throw new UsageError("the passwords do not match");
    return first;
  } finally {
    rl.close();
  }
}

async function hashFor(password: string, algorithm: PasswdOptions["algorithm"]): Promise<string> {
  switch (algorithm) {
    case "argon2id":
      return hashPassword(password);
    case "bcrypt":
      return hashPassword(password, { algorithm: "bcrypt" });
    case "mosquitto":
      return hashPassword(password, { algorithm: "mosquitto-pbkdf2" });
    case "scram":
      return formatScramCredentials(deriveScramCredentials(password));
    default:
      throw new UsageError(
        `unknown algorithm "${String(algorithm)}": use argon2id, bcrypt, mosquitto or scram`,
      );
  }
}

/** Run `amqtt_passwd`. Resolves with the exit code (0 done, 1 failure, 2 usage). */
export async function runPasswd(argv: readonly string[]): Promise<number> {
  const command = passwdCommand();
  const exit = parseOrExit(command, argv);
  if (exit !== undefined) return exit;
  const [file, username, given] = command.processedArgs as [string, string, string | undefined];
  const options = command.opts<PasswdOptions>();
  try {
    if (username.includes(":")) throw new UsageError("a user name cannot contain ':'");
    if (options.delete && options.create) throw new UsageError("-D and -c do not go together");
    if (given !== undefined && !options.batch)
      throw new UsageError("a password on the command line needs -b");
    if (options.batch && given === undefined && !options.delete) throw new UsageError("-b needs a password");
    const exists = existsSync(file);
    if (!options.create && !exists) throw new UsageError(`${file} does not exist (use -c to create it)`);
    const users = options.create
      ? new Map<string, string>()
      : parsePasswordFile(await readFile(file, "utf8"), file);
    if (options.delete) {
      if (!users.delete(username)) throw new UsageError(`user ${username} is not in ${file}`);
    } else {
      const password = given ?? (await askPassword());
      users.set(username, await hashFor(password, options.algorithm));
    }
    // Write a sibling file, then rename: a crash never leaves half a password file.
    const temp = `${file}.tmp-${process.pid}`;
    await writeFile(temp, formatPasswordFile(users), { mode: 0o600 });
    await rename(temp, file);
    return 0;
  } catch (error) {
    process.stderr.write(`amqtt_passwd: ${(error as Error).message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
