import type { Connection } from "@amqtt/transport";
import type { TlsSettings } from "./config.js";

/** What the `./node` entry offers to the browser-safe main entry. */
export interface NodeEntry {
  dialTcpUri(url: URL, tls: TlsSettings): Promise<Connection>;
  tlsOptions(host: string, tls: TlsSettings): Promise<Record<string, unknown>>;
  pluginModuleUrl(specifier: string): string;
}

// The specifier sits in a variable so bundlers do not follow it: a browser bundle
// never contains the TCP dialer and its `node:` modules. It names the package's
// own `./node` export (a self-reference), so it resolves from the built files and,
// in another package's tests, from the sources (the `@amqtt/source` condition).
const nodeEntrySpecifier = "@amqtt/client/node";

/** Whether the client runs in Node (not a browser). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string";
}

/** The `./node` entry, loaded on first use (Node only). */
export async function nodeEntry(): Promise<NodeEntry> {
  return (await import(/* @vite-ignore */ nodeEntrySpecifier)) as NodeEntry;
}
