#!/usr/bin/env -S node --max-semi-space-size=4
// The `amqtt` command: the broker. V8's young generation is capped at 4 MiB per
// semi-space (the default grows to 16 MiB during a connect storm and is kept):
// an idle connection then costs about 7.5 KB of RSS instead of 10, for a small
// cost in peak throughput (packages/cli/README.md has the measurements).
import { runBroker } from "./broker-command.js";
import { runAsProcess } from "./command-line.js";

runAsProcess("amqtt", runBroker);
