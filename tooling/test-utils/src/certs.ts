import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The folder of the test-only certificates (regenerate with its make-certs.sh). TEST USE ONLY: the keys are public. */
export const certsDir: string = fileURLToPath(new URL("../certs/", import.meta.url));

/** The path of one certificate file in {@link certsDir}, e.g. `certPath("server.crt")`. */
export function certPath(name: string): string {
  return `${certsDir}${name}`;
}

function read(name: string): string {
  return readFileSync(certPath(name), "utf8");
}

/**
 * The test certificates as PEM text: a CA, a server certificate for 127.0.0.1/localhost
 * and a client certificate it signed, and a self-signed client nobody trusts.
 */
export const certs = {
  ca: read("ca.crt"),
  server: { cert: read("server.crt"), key: read("server.key") },
  client: { cert: read("client.crt"), key: read("client.key") },
  stranger: { cert: read("stranger.crt"), key: read("stranger.key") },
};

/**
 * The listener keys (aMQTT's names) that turn TLS on with the test server certificate:
 * spread into a broker or admin listener, `{ type: "ws", bind, ...serverTlsFiles }`.
 */
export const serverTlsFiles = {
  ssl: true,
  certfile: certPath("server.crt"),
  keyfile: certPath("server.key"),
} as const;
