/**
 * @packageDocumentation
 * `@amqtt/client/node`: the TCP and TLS dialer for `mqtt://` and `mqtts://` URIs.
 * The main entry loads it on first use in Node, so browser bundles never include
 * it; import it yourself only to dial without an `MQTTClient`.
 */
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import type { ConnectionOptions as TlsOptions } from "node:tls";
import { pathToFileURL } from "node:url";
import type { Connection, ConnectionOptions } from "@amqtt/transport";
import { dialTcp } from "@amqtt/transport-tcp";
import type { TlsSettings } from "./config.js";

/**
 * The client's `Outbox` already joins one turn's packets into one send, so the
 * connection writes each send at once: no cork, and no `nextTick` to uncork, per
 * turn. One shared object, so every connection shares its limits.
 */
const CONNECTION_OPTIONS: ConnectionOptions = { sendsBatched: true };

/** Open TCP (`mqtt:`) or TLS (`mqtts:`) to the URL's host and port with aMQTT's TLS settings. */
export async function dialTcpUri(url: URL, tls: TlsSettings): Promise<Connection> {
  // unix:///path/to/broker.sock: a unix domain socket listener (`bind: unix:/path` on the broker).
  if (url.protocol === "unix:")
    return dialTcp({ host: "", port: 0, path: decodeURIComponent(url.pathname) }, CONNECTION_OPTIONS);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port);
  if (url.protocol !== "mqtts:") return dialTcp({ host, port }, CONNECTION_OPTIONS);
  return dialTcp({ host, port, tls: await tlsOptions(host, tls) }, CONNECTION_OPTIONS);
}

/** Node TLS options from `cafile`/`capath`/`cadata`, `certfile`/`keyfile`, `verify_cert`, `check_hostname`. */
export async function tlsOptions(host: string, tls: TlsSettings): Promise<TlsOptions> {
  const ca: string[] = [];
  if (tls.cafile !== undefined) ca.push(await readFile(tls.cafile, "utf8"));
  if (tls.capath !== undefined) {
    for (const name of await readdir(tls.capath)) {
      if (/\.(pem|crt)$/.test(name)) ca.push(await readFile(join(tls.capath, name), "utf8"));
    }
  }
  if (tls.cadata !== undefined) ca.push(tls.cadata);
  const options: TlsOptions = { rejectUnauthorized: tls.verifyCert };
  if (!/^[\d.]+$|:/.test(host)) options.servername = host;
  if (ca.length > 0) options.ca = ca;
  if (tls.certfile !== undefined) options.cert = await readFile(tls.certfile, "utf8");
  if (tls.keyfile !== undefined) options.key = await readFile(tls.keyfile, "utf8");
  if (!tls.checkHostname) options.checkServerIdentity = () => undefined;
  return options;
}

/**
 * What `import()` needs for a client plugin module named in the configuration:
 * `./` and `../` paths start from the working directory, absolute paths become
 * file URLs, and package names (`npm:` prefix allowed) resolve from the working
 * directory's `node_modules` (the application's, not this package's).
 */
export function pluginModuleUrl(specifier: string): string {
  const cwd = process.cwd();
  if (specifier.startsWith("file:")) return specifier;
  if (specifier.startsWith("./") || specifier.startsWith("../") || isAbsolute(specifier))
    return pathToFileURL(resolve(cwd, specifier)).href;
  const name = specifier.replace(/^npm:/, "");
  try {
    return pathToFileURL(createRequire(pathToFileURL(`${cwd}/`)).resolve(name)).href;
  } catch {
    return name; // an ESM-only package (no `require` condition): `import()` resolves it
  }
}
