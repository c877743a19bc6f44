#!/usr/bin/env node
import { runAsProcess } from "./command-line.js";
// The `amqtt_sub` command: subscribe.
import { runSub } from "./sub-command.js";

runAsProcess("amqtt_sub", runSub);
