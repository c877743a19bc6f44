import { ReasonCode } from "@amqtt/codec";
import { readPasswordFile } from "../auth/password-file.js";
import { verifyPassword } from "../auth/password-hash.js";
import {
  isScramCredentials,
  parseScramCredentials,
  SCRAM_SHA_256,
  verifyScramPassword,
} from "../auth/scram/credentials.js";
import { ScramServer } from "../auth/scram/server.js";
import type {
  BrokerPlugin,
  ClientInfo,
  EnhancedAuthAnswer,
  EnhancedAuthStep,
  PluginContext,
} from "./types.js";

/** The `file-auth` plugin; `reload()` re-reads the password file (the broker calls it on SIGHUP). */
export interface FileAuthPlugin extends BrokerPlugin {
  /** Re-read the password file. On failure the users read before stay in force and the error is thrown. */
  reload(): Promise<void>;
  /** How many users the file holds. */
  readonly userCount: number;
}

const badCredentials = {
  refuse: ReasonCode.BAD_USER_NAME_OR_PASSWORD,
  reason: "bad user name or password",
} as const;
const decoder = new TextDecoder();

/**
 * aMQTT's `FileAuthPlugin` (option `password_file`): `username:hash` lines, with
 * argon2, bcrypt, SHA-512 crypt and mosquitto_passwd hashes. A client without a
 * user name gets no answer; an unknown user or a wrong password is refused with
 * 0x86 Bad user name or password (5.0; 0x04 in 3.1.1). Without a `password_file`
 * the plugin answers nothing (and warns once at start), as aMQTT's does.
 *
 * Lines holding SCRAM credentials (`SCRAM-SHA-256$...`, made with
 * `deriveScramCredentials`) also serve MQTT 5.0 enhanced authentication with the
 * method `SCRAM-SHA-256` (re-authentication included), and still check a plain
 * CONNECT password.
 */
export function createFileAuthPlugin(context: PluginContext): FileAuthPlugin {
  const file = typeof context.options.password_file === "string" ? context.options.password_file : undefined;
  let users = new Map<string, string>();
  const plugin: FileAuthPlugin = {
    name: "file-auth",
    get userCount() {
      return users.size;
    },
    async start() {
      if (file === undefined) {
        context.logger.warn("no password_file configured: file-auth accepts and refuses no one");
        return;
      }
      await plugin.reload();
    },
    async reload() {
      if (file === undefined) return;
      users = await readPasswordFile(file);
      context.logger.info(`read ${users.size} user(s) from ${file}`);
    },
    authMethods: [SCRAM_SHA_256],
    async authenticateEnhanced(_client: ClientInfo, step: EnhancedAuthStep): Promise<EnhancedAuthAnswer> {
      // Step 1 (CONNECT or AUTH 0x19): client-first -> server-first. Step 2: client-final -> server-final.
      if (step.first || !(step.conversation.get("scram") instanceof ScramServer)) {
        const server = new ScramServer({
          lookup: (username) => {
            const line = users.get(username);
            return line !== undefined && isScramCredentials(line) ? parseScramCredentials(line) : undefined;
          },
        });
        step.conversation.set("scram", server);
        const challenge = await server.start(step.data ?? new Uint8Array());
        return challenge.ok ? { continue: challenge.serverFirst } : { fail: ReasonCode.NOT_AUTHORIZED };
      }
      const server = step.conversation.get("scram") as ScramServer;
      step.conversation.delete("scram");
      const result = server.finish(step.data ?? new Uint8Array());
      if (!result.ok) {
        context.logger.info("SCRAM authentication failed", { reason: result.reason });
        return { fail: ReasonCode.NOT_AUTHORIZED };
      }
      return { success: true, data: result.serverFinal, username: result.username };
    },
    async authenticate(client: ClientInfo) {
      if (file === undefined || client.username === undefined) return undefined;
      const hash = users.get(client.username);
      if (hash === undefined || client.password === undefined) return badCredentials;
      try {
        if (isScramCredentials(hash))
          return verifyScramPassword(parseScramCredentials(hash), decoder.decode(client.password))
            ? true
            : badCredentials;
        return (await verifyPassword(hash, decoder.decode(client.password))) ? true : badCredentials;
      } catch (error) {
        // An unsupported hash cannot be checked: the user cannot log in, and the admin should know why.
        context.logger.error(`cannot check the password of user "${client.username}"`, {
          error: error instanceof Error ? error.message : String(error),
        });
        return badCredentials;
      }
    },
  };
  return plugin;
}
