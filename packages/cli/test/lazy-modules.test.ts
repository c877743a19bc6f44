// What an idle `amqtt --memory` loads: the packages a memory-only TCP broker does
// not use (stores, cluster, admin, bridges, contrib plugins, ws, argon2, and zod and
// yaml on the embedded defaults) stay unloaded, so its idle RSS stays low (issue 19:
// <= 50 MB, it was 98 MB with all of them).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { makeTempDir, type TempDir } from "@amqtt/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runUntilLogged } from "./helpers/amqtt-process.js";

let temp: TempDir;
beforeEach(() => {
  temp = makeTempDir("amqtt-cli-lazy-");
});
afterEach(() => temp.remove());

/** Modules (URL fragments) that a memory-only broker without WebSocket must not load. */
const UNUSED = [
  "@node-rs/argon2",
  "bcryptjs",
  "unixcrypt",
  "better-sqlite3",
  "ioredis",
  "/pg@",
  "mysql2",
  "/ws@",
  "jose",
  "ldapts",
  "prom-client",
  "packages/store-sqlite/",
  "packages/store-sql/",
  "packages/store-redis/",
  "packages/cluster-redis/",
  "packages/admin/",
  "packages/dashboard/",
  "packages/bridge/",
  "packages/client/",
  "packages/transport-ws/",
  "packages/contrib-",
  // The embedded defaults are resolved without a schema pass and no file is parsed.
  "/zod@",
  "/yaml@",
];

/**
 * Start the broker with a module-load hook; resolve with every module it loaded: the
 * ES module URLs (the hook) and the CommonJS files (`require.cache`, written at exit:
 * Node 20's hooks do not see `require`).
 */
async function modulesLoadedBy(args: string[]): Promise<string[]> {
  const list = join(temp.path, "loaded.txt");
  writeFileSync(list, "");
  const hooks = join(temp.path, "hooks.mjs");
  writeFileSync(
    hooks,
    `import { appendFileSync } from "node:fs";\nexport async function load(url, context, next) {\n  appendFileSync(${JSON.stringify(list)}, url + "\\n");\n  return next(url, context);\n}\n`,
  );
  const register = join(temp.path, "register.mjs");
  writeFileSync(
    register,
    `import { appendFileSync } from "node:fs";\nimport { createRequire, register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\nconst cache = createRequire(import.meta.url).cache;\nprocess.on("exit", () => appendFileSync(${JSON.stringify(list)}, Object.keys(cache).join("\\n") + "\\n"));\n`,
  );
  await runUntilLogged(args, "state in memory", temp.path, ["--import", pathToFileURL(register).href]);
  return readFileSync(list, "utf8").split("\n").filter(Boolean);
}

describe("amqtt --memory loads only what its configuration uses", () => {
  it("the embedded defaults without WebSocket load no store, cluster, admin, bridge, contrib, ws or argon2 module", async () => {
    const loaded = await modulesLoadedBy(["--memory", "--no-ws", "--port", "0"]);
    // The hook saw the broker itself: an empty list would prove nothing.
    expect(loaded.some((url) => url.includes("packages/transport-tcp/"))).toBe(true);
    expect(loaded.some((url) => url.includes("packages/broker/"))).toBe(true);
    // ... and require.cache was written (commander is CommonJS).
    expect(loaded.some((file) => file.startsWith("/") && file.includes("/commander@"))).toBe(true);
    expect(loaded.filter((url) => UNUSED.some((name) => url.includes(name)))).toEqual([]);
  });

  it("a configuration file loads yaml and zod (its keys are validated), and still no store", async () => {
    const file = join(temp.path, "broker.yaml");
    writeFileSync(file, "listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:0\n");
    const loaded = await modulesLoadedBy(["--memory", "-c", file]);
    expect(loaded.some((file) => file.includes("/yaml@"))).toBe(true);
    expect(loaded.some((file) => file.includes("/zod@"))).toBe(true);
    const stillUnused = UNUSED.filter((name) => name !== "/zod@" && name !== "/yaml@");
    expect(loaded.filter((url) => stillUnused.some((name) => url.includes(name)))).toEqual([]);
  });

  it("a WebSocket listener loads ws, and still no store or contrib module", async () => {
    const loaded = await modulesLoadedBy(["--memory", "--port", "0", "--ws-port", "0"]);
    expect(loaded.some((url) => url.includes("/ws@"))).toBe(true);
    const stillUnused = UNUSED.filter((name) => name !== "/ws@" && name !== "packages/transport-ws/");
    expect(loaded.filter((url) => stillUnused.some((name) => url.includes(name)))).toEqual([]);
  });
});
