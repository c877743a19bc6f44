// What an idle `amqtt --memory` loads: the packages a memory-only TCP broker does
// not use (stores, cluster, admin, bridges, contrib plugins, ws, argon2, and zod and
// yaml on the embedded defaults) stay unloaded, so its idle RSS stays low (issue 19:
// <= 50 MB, it was 98 MB with all of them).
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { makeTempDir, serverTlsFiles, type TempDir } from "@amqtt/test-utils";
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
  // Node's own modules (`process.moduleLoadList`): no TLS listener, no password
  // checked, no client id generated, and `process` read as the global (an ES import
  // of `node:process` reads `process.report`, which loads the report module).
  "builtin:tls",
  "builtin:crypto",
  "builtin:internal/process/report",
  // commander is required, not imported: no lexer for a CommonJS module's named exports.
  "builtin:internal/deps/cjs-module-lexer/lexer",
];

/**
 * Start the broker with a module-load hook; resolve with every module it loaded: the
 * ES module URLs (the hook), the CommonJS files (`require.cache`, written at exit:
 * Node 20's hooks do not see `require`) and Node's builtins (`process.moduleLoadList`,
 * as `builtin:<name>`). `during` runs once the broker is up, before it is stopped.
 */
async function modulesLoadedBy(args: string[], during?: (log: string) => Promise<void>): Promise<string[]> {
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
    `import { appendFileSync } from "node:fs";\nimport { createRequire, register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\nconst cache = createRequire(import.meta.url).cache;\nprocess.on("exit", () => appendFileSync(${JSON.stringify(list)}, [...Object.keys(cache), ...process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => "builtin:" + m.slice(13))].join("\\n") + "\\n"));\n`,
  );
  await runUntilLogged(
    args,
    "state in memory",
    temp.path,
    ["--import", pathToFileURL(register).href],
    during,
  );
  return readFileSync(list, "utf8").split("\n").filter(Boolean);
}

describe("amqtt --memory loads only what its configuration uses", () => {
  it("the embedded defaults without WebSocket load no store, cluster, admin, bridge, contrib, ws or argon2 module", async () => {
    const loaded = await modulesLoadedBy(["--memory", "--no-ws", "--port", "0"]);
    // The hook saw the broker itself: an empty list would prove nothing.
    expect(loaded.some((url) => url.includes("packages/transport-tcp/"))).toBe(true);
    expect(loaded.some((url) => url.includes("packages/broker/"))).toBe(true);
    // ... and require.cache was written (commander is CommonJS), and the builtins (net serves the listener).
    expect(loaded.some((file) => file.startsWith("/") && file.includes("/commander@"))).toBe(true);
    expect(loaded).toContain("builtin:net");
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
    // ws itself requires node:tls, node:https and node:crypto (its client half).
    const wsUses = ["/ws@", "packages/transport-ws/", "builtin:tls", "builtin:crypto"];
    const stillUnused = UNUSED.filter((name) => !wsUses.includes(name));
    expect(loaded.filter((url) => stillUnused.some((name) => url.includes(name)))).toEqual([]);
  });

  it("a TLS listener loads node:tls, and still no store or contrib module", async () => {
    const file = join(temp.path, "tls.yaml");
    const tls = Object.entries(serverTlsFiles)
      .map(([key, value]) => `    ${key}: ${JSON.stringify(value)}\n`)
      .join("");
    writeFileSync(file, `listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:0\n${tls}`);
    const loaded = await modulesLoadedBy(["--memory", "-c", file]);
    expect(loaded).toContain("builtin:tls");
    const stillUnused = UNUSED.filter(
      (name) => !["/zod@", "/yaml@", "builtin:tls", "builtin:crypto"].includes(name),
    );
    expect(loaded.filter((url) => stillUnused.some((name) => url.includes(name)))).toEqual([]);
  });

  it("a client without a client id loads node:crypto for the id the broker assigns [MQTT-3.1.3-6]", async () => {
    const loaded = await modulesLoadedBy(["--memory", "--no-ws", "--port", "0"], async (log) => {
      const port = Number(/"port":(\d+)/.exec(log)?.[1]);
      await connectWithEmptyClientId(port);
    });
    expect(loaded).toContain("builtin:crypto");
    expect(loaded).not.toContain("builtin:tls");
  });
});

/**
 * An MQTT 3.1.1 CONNECT with clean session and a zero-length client id, so the
 * server assigns one [MQTT-3.1.3-6]; resolves on its CONNACK (return code 0).
 */
function connectWithEmptyClientId(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("error", reject);
    // CONNECT, remaining length 12: "MQTT", level 4, flags: clean session, keep alive 60, client id "".
    socket.write(Uint8Array.of(0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0, 0));
    socket.once("data", (data) => {
      socket.destroy();
      // CONNACK: type 2, remaining length 2, no session present, return code 0 (accepted).
      if (data[0] === 0x20 && data[3] === 0) resolve();
      else reject(new Error(`no accepting CONNACK: ${data.toString("hex")}`));
    });
  });
}
