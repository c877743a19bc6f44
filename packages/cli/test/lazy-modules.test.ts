// What an idle `amqtt --memory` loads: the packages a memory-only TCP broker does
// not use (stores, cluster, admin, bridges, contrib plugins, ws, argon2) stay
// unloaded, so its idle RSS stays low (issue 19: <= 50 MB, it was 98 MB with all of them).
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
];

/** Start the broker with a module-load hook; resolve with every module URL it loaded before it listened. */
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
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
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
    expect(loaded.filter((url) => UNUSED.some((name) => url.includes(name)))).toEqual([]);
  });

  it("a WebSocket listener loads ws, and still no store or contrib module", async () => {
    const loaded = await modulesLoadedBy(["--memory", "--port", "0", "--ws-port", "0"]);
    expect(loaded.some((url) => url.includes("/ws@"))).toBe(true);
    const stillUnused = UNUSED.filter((name) => name !== "/ws@" && name !== "packages/transport-ws/");
    expect(loaded.filter((url) => stillUnused.some((name) => url.includes(name)))).toEqual([]);
  });
});
