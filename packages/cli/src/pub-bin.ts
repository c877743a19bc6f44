#!/usr/bin/env node
// The `amqtt_pub` command.
import { runPub } from "./pub-command.js";

runPub(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`amqtt_pub: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
