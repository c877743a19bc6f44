import { isFailure, type MQTTClient } from "@amqtt/client";
import { addClientOptions, type ClientCommandOptions, connectedClient } from "./client-options.js";
import { parseOrExit, UsageError } from "./command-line.js";
import { Command, InvalidArgumentError } from "./commander.js";
import { VERSION } from "./version.js";

interface SubOptions extends ClientCommandOptions {
  topic: string[];
  count?: number;
  verbose?: boolean;
}

function count(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError("expected a positive number");
  return n;
}

/** Build the `amqtt_sub` command. */
export function subCommand(): Command {
  return addClientOptions(
    new Command("amqtt_sub")
      .description(
        "Subscribe to MQTT topics and print each payload (aMQTT's amqtt_sub; Mosquitto's flags work too).",
      )
      .version(`amqtt_sub ${VERSION}`, "--version", "print the version and exit")
      .requiredOption("-t, --topic <filter...>", "topic filter (repeatable)")
      .option("-n, --count <n>", "stop after n messages (aMQTT's spelling)", count)
      .option("-C, --msg-count <n>", "stop after n messages (Mosquitto's spelling)", count)
      .option("-v, --verbose", "print the topic before each payload (as mosquitto_sub -v)"),
  );
}

/** Run `amqtt_sub` until Ctrl-C or the count. Resolves with the exit code. */
export async function runSub(argv: readonly string[]): Promise<number> {
  const command = subCommand();
  const exit = parseOrExit(command, argv);
  if (exit !== undefined) return exit;
  const o = command.opts<SubOptions & { msgCount?: number }>();
  const limit = o.count ?? o.msgCount;
  let client: MQTTClient | undefined;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    client = await connectedClient(o, "amqtt_sub");
    const codes = await client.subscribe(o.topic.map((t) => [t, o.qos] as [string, 0 | 1 | 2]));
    codes.forEach((code, i) => {
      // A SUBACK code of 0x80 and up refuses that filter [MQTT-3.9.3-1].
      if (isFailure(code))
        process.stderr.write(`amqtt_sub: subscription to ${o.topic[i]} refused (0x${code.toString(16)})\n`);
    });
    if (codes.every(isFailure)) throw new Error("every subscription was refused");
    let received = 0;
    const decoder = new TextDecoder();
    try {
      for await (const message of client.messages(undefined, { signal: stop.signal })) {
        const payload = decoder.decode(message.data);
        process.stdout.write(o.verbose ? `${message.topic} ${payload}\n` : `${payload}\n`);
        received++;
        if (limit !== undefined && received >= limit) break;
      }
    } catch (error) {
      if (!stop.signal.aborted) throw error;
    }
    await client.disconnect();
    return 0;
  } catch (error) {
    process.stderr.write(`amqtt_sub: ${(error as Error).message}\n`);
    await client?.disconnect().catch(() => {});
    return error instanceof UsageError ? 2 : 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
