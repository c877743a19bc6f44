import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { ConfigError } from "./errors.js";
import { type ResolvedBrokerConfig, type ResolveOptions, resolveBrokerConfig } from "./resolve.js";

type YamlModule = typeof import("yaml");
let yamlModule: YamlModule | undefined;

/**
 * The `yaml` package, loaded on the first configuration file: a broker on the
 * embedded defaults or a configuration object never parses YAML, and the parser
 * costs about 8 MB of RSS once loaded. `require` (yaml ships CommonJS for Node)
 * keeps `parseBrokerConfigYaml` synchronous.
 */
function yaml(): YamlModule {
  yamlModule ??= createRequire(import.meta.url)("yaml") as YamlModule;
  return yamlModule;
}

/**
 * Parse YAML text as a broker configuration. Relative paths in it resolve
 * against `baseDir`. Throws `ConfigError` for YAML syntax errors too.
 */
export function parseBrokerConfigYaml(text: string, options: ResolveOptions = {}): ResolvedBrokerConfig {
  const { parse, YAMLParseError } = yaml();
  let data: unknown;
  try {
    data = parse(text, { prettyErrors: true });
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
