#!/usr/bin/env node
// The `server_creds` command (aMQTT's certificate tool).
import { runCreds } from "./creds-command.js";

runCreds("server_creds", process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`server_creds: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
