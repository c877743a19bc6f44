// `npm start`: the project's main job on a fresh clone. Installs and builds what it
// needs, then runs it. Until @amqtt/broker lands this is the codec demo; it will
// start the broker with its embedded defaults (TCP 1883 and WS 8080 on 127.0.0.1).
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
run("node", [join(root, "packages", "codec", "dist", "demo.js"), ...process.argv.slice(2)]);
