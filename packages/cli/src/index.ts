/**
 * @packageDocumentation
 * `@amqtt/cli`: the `amqtt` command (the broker) as a library too, so other tools
 * can embed the same argument handling.
 *
 * @example
 * ```ts
 * import { runBroker } from "@amqtt/cli";
 * process.exit(await runBroker(["-c", "broker.yaml"]));
 * ```
 */
export { brokerCommand, EMBEDDED_DEFAULTS, runBroker } from "./broker-command.js";
export { createCa, createDevice, createServer, type SubjectOptions } from "./creds.js";
export { credsCommand, runCreds } from "./creds-command.js";
export { passwdCommand, runPasswd } from "./passwd-command.js";
export { pubCommand, runPub } from "./pub-command.js";
export { runSub, subCommand } from "./sub-command.js";
export { VERSION } from "./version.js";
