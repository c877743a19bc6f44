import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { MQTTClient } from "@amqtt/client";
import { addClientOptions, type ClientCommandOptions, connectedClient } from "./client-options.js";
import { parseOrExit, UsageError } from "./command-line.js";
import { Command } from "./commander.js";
import { VERSION } from "./version.js";

interface PubOptions extends ClientCommandOptions {
  topic: string;
  /** `false` when aMQTT's `--no-message` was given (commander's negation of `--message`). */
  message?: string | false;
  file?: string;
  stdin?: boolean;
  lines?: boolean;
  nullMessage?: boolean;
  retain?: boolean;
}

/** Build the `amqtt_pub` command. */
export function pubCommand(): Command {
  return addClientOptions(
    new Command("amqtt_pub")
      .description("Publish MQTT messages (aMQTT's amqtt_pub; Mosquitto's -h/-p/-u/-P/-V work too).")
      .version(`amqtt_pub ${VERSION}`, "--version", "print the version and exit")
      .requiredOption("-t, --topic <topic>", "topic to publish to")
      .option("-m, --message <text>", "publish this message")
      .option("-f, --file <file>", "publish each line of the file as a message")
      .option("-s, --stdin", "publish all of stdin as one message")
      .option("-l, --lines", "publish each line of stdin as a message")
      .option("-n, --null-message", "publish an empty message")
      .option("--no-message", "publish an empty message (aMQTT's spelling of -n)")
      .option("-r, --retain", "retain the message"),
  );
}

/** aMQTT's `--no-message` arrives as `message: false`; it means `--null-message`. */
function withNullMessage(o: PubOptions): PubOptions {
  if (o.message !== false) return o;
  const { message: _negated, ...rest } = o;
  return { ...rest, nullMessage: true };
}

/** Exactly one message source, checked before connecting. */
function checkSource(o: PubOptions): void {
  const sources = [o.message !== undefined, o.file !== undefined, o.stdin, o.lines, o.nullMessage].filter(
    Boolean,
  );
  if (sources.length !== 1) throw new UsageError("give exactly one of -m, -f, -s, -l, -n");
}

/** The messages to publish. */
async function* messages(o: PubOptions): AsyncGenerator<string> {
  if (typeof o.message === "string") yield o.message;
  else if (o.nullMessage) yield "";
  else if (o.file !== undefined) {
    for (const line of (await readFile(o.file, "utf8")).split(/\r?\n/)) if (line !== "") yield line;
  } else if (o.stdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    yield Buffer.concat(chunks).toString("utf8");
  } else {
    for await (const line of createInterface({ input: process.stdin, terminal: false })) yield line;
  }
}

/** Run `amqtt_pub`. Resolves with the exit code (0 done, 1 failure, 2 usage). */
export async function runPub(argv: readonly string[]): Promise<number> {
  const command = pubCommand();
  const exit = parseOrExit(command, argv);
  if (exit !== undefined) return exit;
  const o = withNullMessage(command.opts<PubOptions>());
  let client: MQTTClient | undefined;
  let stopped = false;
  const onSigint = () => {
    stopped = true;
  };
  process.once("SIGINT", onSigint);
  try {
    checkSource(o);
    const source = messages(o);
    client = await connectedClient(o, "amqtt_pub");
    if (o.debug) client.on("disconnected", () => process.stderr.write("amqtt_pub: disconnected\n"));
    const progress = o.lines === true && process.stdout.isTTY === true;
    let count = 0;
    for await (const text of source) {
      if (stopped) break;
      await client.publish(o.topic, text, { qos: o.qos, retain: o.retain ?? false });
      count++;
      if (progress && count % 100 === 0) process.stdout.write(`\r${count} messages published`);
    }
    if (progress) process.stdout.write(`\r${count} messages published\n`);
    await client.disconnect();
    return 0;
  } catch (error) {
    process.stderr.write(`amqtt_pub: ${(error as Error).message}\n`);
    await client?.disconnect().catch(() => {});
    return error instanceof UsageError ? 2 : 1;
  } finally {
    process.off("SIGINT", onSigint);
  }
}
