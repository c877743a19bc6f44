// commander (CommonJS) through `require`, not an ES import: Node parses a CommonJS
// module an ES module imports with its lexer (a WebAssembly module kept for the
// life of the process) to find its named exports; `require` needs none of that.
// Measured on an idle `amqtt --memory --no-ws`: about 1.7 MB less RSS.
import { createRequire } from "node:module";

type CommanderModule = typeof import("commander");

const commander = createRequire(import.meta.url)("commander") as CommanderModule;

/** commander's `Command` (see its documentation). */
export const Command: CommanderModule["Command"] = commander.Command;
/** A command of commander. */
export type Command = import("commander").Command;
/** commander's `Option`. */
export const Option: CommanderModule["Option"] = commander.Option;
/** An option of commander. */
export type Option = import("commander").Option;
/** commander's `InvalidArgumentError`, thrown by option parsers for a bad value. */
export const InvalidArgumentError: CommanderModule["InvalidArgumentError"] = commander.InvalidArgumentError;
/** The error an option parser throws for a bad value. */
export type InvalidArgumentError = import("commander").InvalidArgumentError;
