import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { ConfigError } from "./errors.js";
import { type ResolvedBrokerConfig, type ResolveOptions, resolveBrokerConfig } from "./resolve.js";

/**
 * Parse YAML text as a broker configuration. Relative paths in it resolve
 * against `baseDir`. Throws `ConfigError` for YAML syntax errors too.
 */
export function parseBrokerConfigYaml(text: string, options: ResolveOptions = {}): ResolvedBrokerConfig {
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const line = err.linePos?.[0];
      const where = line === undefined ? "" : `line ${line.line}, column ${line.col}: `;
      throw new ConfigError([{ path: "", message: `${where}${err.message.split("\n")[0]}` }], options.file, {
        cause: err,
      });
    }
    throw err;
  }
  if (data !== null && data !== undefined && (typeof data !== "object" || Array.isArray(data)))
    throw new ConfigError([{ path: "", message: "expected a mapping at the top of the file" }], options.file);
  return resolveBrokerConfig(data ?? {}, options);
}

/** Read and resolve an aMQTT-style YAML configuration file (with the plugin definitions it may name). */
export async function loadBrokerConfigFile(
  file: string,
  options: Pick<ResolveOptions, "pluginDefinitions" | "clusterEngine"> = {},
): Promise<ResolvedBrokerConfig> {
  const full = resolve(file);
  let text: string;
  try {
    text = await readFile(full, "utf8");
  } catch (err) {
    throw new ConfigError([{ path: "", message: `cannot read the file: ${(err as Error).message}` }], full, {
      cause: err,
    });
  }
  return parseBrokerConfigYaml(text, { ...options, file: full, baseDir: dirname(full) });
}
