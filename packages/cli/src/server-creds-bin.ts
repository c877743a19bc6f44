#!/usr/bin/env node
// The `server_creds` command (aMQTT's certificate tool).
import { runAsProcess } from "./command-line.js";
import { runCreds } from "./creds-command.js";

runAsProcess("server_creds", (argv) => runCreds("server_creds", argv));
