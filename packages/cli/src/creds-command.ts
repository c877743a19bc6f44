import { parseOrExit } from "./command-line.js";
import { Command } from "./commander.js";
import { createCa, createDevice, createServer } from "./creds.js";
import { VERSION } from "./version.js";

type Tool = "ca_creds" | "server_creds" | "device_creds";

/** Build one of the certificate commands, with aMQTT's flags. */
export function credsCommand(tool: Tool): Command {
  const command = new Command(tool)
    .version(`${tool} ${VERSION}`, "--version", "print the version and exit")
    .option("--country <code>", "subject country (C)")
    .option("--org-name <name>", "subject organisation (O)")
    .option("--output-dir <dir>", "where to write the files", ".")
    .helpOption("-h, --help", "show this help")
    .showHelpAfterError();
  if (tool === "ca_creds") {
    return command
      .description("Make a private CA: ca.key and ca.crt.")
      .option("--state <name>", "subject state (ST)")
      .option("--locality <name>", "subject locality (L)")
      .requiredOption("--cn <name>", "the CA's common name");
  }
  command
    .option("--ca-key <file>", "the CA's key", "ca.key")
    .option("--ca-crt <file>", "the CA's certificate", "ca.crt");
  if (tool === "server_creds")
    return command
      .description("Make server.key and server.crt for a TLS listener, signed by the CA.")
      .requiredOption("--cn <host>", "the server's host name or IP");
  return command
    .description(
      "Make <device-id>.key and <device-id>.crt for a device, SAN URI spiffe://<uri>/device/<device-id>.",
    )
    .requiredOption("--device-id <id>", "the device (and MQTT client) id")
    .requiredOption("--uri <domain>", "the SPIFFE trust domain");
}

/** Run a certificate command. Resolves with the exit code. */
export async function runCreds(tool: Tool, argv: readonly string[]): Promise<number> {
  const command = credsCommand(tool);
  const exit = parseOrExit(command, argv);
  if (exit !== undefined) return exit;
  const o = command.opts<Record<string, string>>();
  try {
    const files =
      tool === "ca_creds"
        ? await createCa({ ...pick(o), cn: o.cn!, outputDir: o.outputDir! })
        : tool === "server_creds"
          ? await createServer({
              ...pick(o),
              cn: o.cn!,
              outputDir: o.outputDir!,
              caKey: o.caKey!,
              caCrt: o.caCrt!,
            })
          : await createDevice({
              ...pick(o),
              deviceId: o.deviceId!,
              uri: o.uri!,
              outputDir: o.outputDir!,
              caKey: o.caKey!,
              caCrt: o.caCrt!,
            });
    process.stdout.write(`${files.keyFile}\n${files.certFile}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${tool}: ${(error as Error).message}\n`);
    return 1;
  }
}

function pick(o: Record<string, string>) {
  const out: { country?: string; state?: string; locality?: string; orgName?: string } = {};
  if (o.country !== undefined) out.country = o.country;
  if (o.state !== undefined) out.state = o.state;
  if (o.locality !== undefined) out.locality = o.locality;
  if (o.orgName !== undefined) out.orgName = o.orgName;
  return out;
}
