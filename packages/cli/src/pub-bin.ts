#!/usr/bin/env node
import { runAsProcess } from "./command-line.js";
// The `amqtt_pub` command: publish.
import { runPub } from "./pub-command.js";

runAsProcess("amqtt_pub", runPub);
