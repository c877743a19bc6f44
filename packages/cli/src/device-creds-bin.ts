#!/usr/bin/env node
// The `device_creds` command (aMQTT's certificate tool).
import { runAsProcess } from "./command-line.js";
import { runCreds } from "./creds-command.js";

runAsProcess("device_creds", (argv) => runCreds("device_creds", argv));
