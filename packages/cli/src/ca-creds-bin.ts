#!/usr/bin/env node
// The `ca_creds` command (aMQTT's certificate tool).
import { runAsProcess } from "./command-line.js";
import { runCreds } from "./creds-command.js";

runAsProcess("ca_creds", (argv) => runCreds("ca_creds", argv));
