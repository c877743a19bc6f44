#!/usr/bin/env node
// The `amqtt_passwd` command: manage the broker's password file.
import { runPasswd } from "./passwd-command.js";

runPasswd(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`amqtt_passwd: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
