// Helpers the packages' Node bench scripts share (plain .mjs: bench scripts run without a
// TypeScript loader, so they cannot use @amqtt/test-utils).
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/** A free loopback TCP port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Write `mosquitto.conf` in `dir`: an anonymous loopback listener on `port`, then
 * `settings` (one mosquitto directive each). Returns the file's path.
 */
export function writeMosquittoConf(dir, port, settings) {
  const file = join(dir, "mosquitto.conf");
  writeFileSync(file, [`listener ${port} 127.0.0.1`, "allow_anonymous true", ...settings, ""].join("\n"));
  return file;
}
