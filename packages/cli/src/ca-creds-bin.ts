#!/usr/bin/env node
// The `ca_creds` command (aMQTT's certificate tool).
import { runCreds } from "./creds-command.js";

runCreds("ca_creds", process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`ca_creds: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
