#!/usr/bin/env node
// The `amqtt_sub` command.
import { runSub } from "./sub-command.js";

runSub(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`amqtt_sub: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
