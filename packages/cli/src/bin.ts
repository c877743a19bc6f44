#!/usr/bin/env node
// The `amqtt` command: the broker.
import { runBroker } from "./broker-command.js";
import { runAsProcess } from "./command-line.js";

runAsProcess("amqtt", runBroker);
