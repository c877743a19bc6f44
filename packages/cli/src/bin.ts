#!/usr/bin/env node
// The `amqtt` command: the broker.
import { runBroker } from "./broker-command.js";

runBroker(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `amqtt: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
