// `npm start`: the project's main job on a fresh clone. Installs and builds what it
// needs, then starts the broker with its embedded defaults (TCP 1883 and WebSocket
// 8080 on 127.0.0.1) and the admin listener (dashboard, API, /metrics) on
// 127.0.0.1:9090, whose URL it prints. Arguments after `--` go to the `amqtt`
// command; with `-c` or `--admin-port` the admin listener is the user's choice.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ensurePnpm, installDependencies, root, run } from "./bootstrap.mjs";

if (!existsSync(join(root, "node_modules", ".pnpm"))) {
  ensurePnpm();
  installDependencies();
}
run("pnpm", ["exec", "turbo", "run", "build", "--output-logs=errors-only"], {
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
});
const args = process.argv.slice(2);
const chosen = args.some((a) => a === "-c" || a === "--config" || a.startsWith("--admin-port"));
// The same Node flags as the binary's shebang line.
run("node", [
  "--max-semi-space-size=4",
  join(root, "packages", "cli", "dist", "bin.js"),
  ...(chosen ? [] : ["--admin-port", "9090"]),
  ...args,
]);
