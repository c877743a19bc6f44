import { spawn } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@amqtt/test-utils";
import type { Connection } from "@amqtt/transport";
import { afterAll, describe, expect, it } from "vitest";
import { dialTcp, listenTcp, UnixSocketInUseError } from "../src/index.js";

const dir = makeTempDir("amqtt-unix-");
afterAll(() => dir.remove());

describe("unix domain socket listeners", () => {
  it("listen on a path with the configured mode, carry bytes, and remove the file on close", async () => {
    const path = join(dir.path, "mode.sock");
    let accepted: Connection | undefined;
    const listener = await listenTcp({
      path,
      unixSocket: { mode: 0o600 },
      onConnection: (c) => (accepted = c),
    });
    expect(listener.address()).toEqual({ transport: "unix", path });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const client = await dialTcp({ host: "", port: 0, path });
    client.send(new Uint8Array([1, 2, 3]));
    for (let i = 0; i < 100 && accepted === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    const chunk = await accepted![Symbol.asyncIterator]().next();
    expect([...(chunk.value as Uint8Array)]).toEqual([1, 2, 3]);
    expect(accepted!.remoteAddress.transport).toBe("unix");
    client.abort();
    await listener.close();
    expect(existsSync(path)).toBe(false);
  });

  it("set the socket file's owner and group", async () => {
    const path = join(dir.path, "owner.sock");
    // As root, hand the file to nobody (65534); otherwise to ourselves (the only change allowed).
    const uid = process.getuid?.() === 0 ? 65534 : process.getuid!();
    const gid = process.getuid?.() === 0 ? 65534 : process.getgid!();
    const listener = await listenTcp({ path, unixSocket: { uid, gid, mode: 0o660 } });
    expect(statSync(path).uid).toBe(uid);
    expect(statSync(path).gid).toBe(gid);
    await listener.close();
  });

  it("replace a stale socket file that nothing accepts on", async () => {
    const path = join(dir.path, "stale.sock");
    // A process SIGKILLed while listening leaves its socket file behind.
    const child = spawn(process.execPath, [
      "-e",
      `require("node:net").createServer().listen(${JSON.stringify(path)}, () => console.log("up"))`,
    ]);
    await new Promise((r) => child.stdout.once("data", r));
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(child.pid!, "SIGKILL");
    await exited;
    expect(statSync(path).isSocket()).toBe(true);
    const listener = await listenTcp({ path });
    const client = await dialTcp({ host: "", port: 0, path });
    client.abort();
    await listener.close();
  });

  it("refuse a path where a live listener accepts, or a file that is not a socket", async () => {
    const live = join(dir.path, "live.sock");
    const first = await listenTcp({ path: live });
    await expect(listenTcp({ path: live })).rejects.toBeInstanceOf(UnixSocketInUseError);
    expect(existsSync(live)).toBe(true);
    await first.close();
    const plain = join(dir.path, "plain.txt");
    writeFileSync(plain, "not a socket");
    const error = await listenTcp({ path: plain }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnixSocketInUseError);
    expect((error as UnixSocketInUseError).name).toBe("UnixSocketInUseError");
    expect(existsSync(plain)).toBe(true);
  });
});
