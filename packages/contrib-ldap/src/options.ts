import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import {
  type ConfigIssue,
  optionsValidator,
  type PluginValidation,
  type PluginValidationContext,
} from "@amqtt/broker";
import { z } from "zod";

const common = {
  /** aMQTT's: `ldap://host:389` or `ldaps://host:636`. */
  server: z.string().regex(/^ldaps?:\/\//, "expected an ldap:// or ldaps:// URL"),
  base_dn: z.string().min(1),
  /** The attribute matched against the user name (`uid`, `cn`, ...). */
  user_attribute: z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, "expected an attribute name"),
  /** The service account the plugin searches with. */
  bind_dn: z.string().min(1),
  /** aMQTT's: its password inline. */
  bind_password: z.string().optional(),
  // Ours:
  /** Read the service account's password from a file (its final newline dropped). */
  bind_password_file: z.string().min(1).optional(),
  /** Upgrade an ldap:// connection with StartTLS. */
  start_tls: z.boolean().default(false),
  /** PEM CA certificates trusted for LDAPS/StartTLS (default: the system's). */
  ca_file: z.string().min(1).optional(),
  /** Seconds one LDAP operation may take; then the check denies. */
  timeout: z.number().positive().default(5),
  /** User binds in flight at once (each is a connection of its own). */
  max_connections: z.int().min(1).default(8),
};

const userSchema = z.strictObject(common);
const topicSchema = z.strictObject({
  ...common,
  publish_attribute: z.string().min(1),
  subscribe_attribute: z.string().min(1),
  receive_attribute: z.string().min(1),
  /** Ours: seconds a client's topic attributes are reused before searching again. */
  cache_ttl: z.number().min(0).default(30),
});

/** Connection settings, with secrets and files read. */
export interface LdapConnection {
  server: string;
  baseDn: string;
  userAttribute: string;
  bindDn: string;
  bindPassword: string;
  startTls: boolean;
  ca?: string;
  timeoutMs: number;
  maxConnections: number;
}

/** Options of the topic plugin. */
export interface LdapTopicOptions extends LdapConnection {
  publishAttribute: string;
  subscribeAttribute: string;
  receiveAttribute: string;
  cacheTtlMs: number;
}

function connection(raw: z.output<typeof userSchema>, baseDir: string): LdapConnection | ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const read = (key: "bind_password_file" | "ca_file", value: string): string | undefined => {
    const full = isAbsolute(value) ? value : resolve(baseDir, value);
    if (!existsSync(full)) {
      issues.push({ path: key, message: `file not found: ${full}` });
      return undefined;
    }
    return readFileSync(full, "utf8");
  };
  if ((raw.bind_password === undefined) === (raw.bind_password_file === undefined))
    issues.push({ path: "", message: "give exactly one of bind_password and bind_password_file" });
  const password =
    raw.bind_password ??
    (raw.bind_password_file === undefined
      ? undefined
      : read("bind_password_file", raw.bind_password_file)?.replace(/\r?\n$/, ""));
  if (raw.start_tls && raw.server.startsWith("ldaps://"))
    issues.push({
      path: "start_tls",
      message: "StartTLS upgrades an ldap:// connection; ldaps:// is TLS already",
    });
  const ca = raw.ca_file === undefined ? undefined : read("ca_file", raw.ca_file);
  if (issues.length > 0) return issues;
  return {
    server: raw.server,
    baseDn: raw.base_dn,
    userAttribute: raw.user_attribute,
    bindDn: raw.bind_dn,
    bindPassword: password ?? "",
    startTls: raw.start_tls,
    ...(ca === undefined ? {} : { ca }),
    timeoutMs: raw.timeout * 1000,
    maxConnections: raw.max_connections,
  };
}

/** Validate the user plugin's options (aMQTT's names, and ours). */
export const validateUserOptions: (
  raw: unknown,
  context: PluginValidationContext,
) => PluginValidation<LdapConnection> = optionsValidator(userSchema, (parsed, { baseDir }) =>
  connection(parsed, baseDir),
);

/** Validate the topic plugin's options. */
export const validateTopicOptions: (
  raw: unknown,
  context: PluginValidationContext,
) => PluginValidation<LdapTopicOptions> = optionsValidator(topicSchema, (parsed, { baseDir }) => {
  const { publish_attribute, subscribe_attribute, receive_attribute, cache_ttl, ...rest } = parsed;
  const result = connection(rest, baseDir);
  if (Array.isArray(result)) return result;
  return {
    ...result,
    publishAttribute: publish_attribute,
    subscribeAttribute: subscribe_attribute,
    receiveAttribute: receive_attribute,
    cacheTtlMs: cache_ttl * 1000,
  };
});
