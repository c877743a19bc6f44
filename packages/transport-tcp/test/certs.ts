import { readFileSync } from "node:fs";

/** Test-only certificates from ./fixtures (see make-certs.sh); the private keys are public. */
function read(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
}

export const certs = {
  ca: read("ca.crt"),
  server: { cert: read("server.crt"), key: read("server.key") },
  client: { cert: read("client.crt"), key: read("client.key") },
  stranger: { cert: read("stranger.crt"), key: read("stranger.key") },
};
