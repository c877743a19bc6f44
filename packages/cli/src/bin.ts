#!/usr/bin/env -S node --max-semi-space-size=4
// The `amqtt` command: the broker. V8's young generation is capped at 4 MiB per
// semi-space (the default grows to 16 MiB during a connect storm and is kept):
// an idle connection then costs about 7.5 KB of RSS instead of 10, for a small
// cost in peak throughput (packages/cli/README.md has the measurements).
import { holdOptimisingCompiler } from "./startup-compiler.js";

// Before the broker's modules load (hence the dynamic imports): the loader's own
// functions are what V8 would optimise during start-up; runBroker lets go once
// the listeners are bound.
holdOptimisingCompiler();
const { runBroker } = await import("./broker-command.js");
const { runAsProcess } = await import("./command-line.js");

runAsProcess("amqtt", runBroker);
