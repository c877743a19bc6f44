#!/usr/bin/env node
// The `device_creds` command (aMQTT's certificate tool).
import { runCreds } from "./creds-command.js";

runCreds("device_creds", process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`device_creds: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
