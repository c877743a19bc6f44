#!/usr/bin/env node
import { runAsProcess } from "./command-line.js";
// The `amqtt_passwd` command: manage the broker's password file.
import { runPasswd } from "./passwd-command.js";

runAsProcess("amqtt_passwd", runPasswd);
