import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Broker, type ClientInfo, silentLogger } from "@amqtt/broker";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const dist = join(import.meta.dirname, "..", "dist");
const dir = mkdtempSync(join(tmpdir(), "amqtt-creds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tool = (name: string, args: string[]) =>
  run(process.execPath, [join(dist, `${name}-bin.js`), ...args], { cwd: dir });

describe("ca_creds, server_creds and device_creds", () => {
  it("make a CA, a server and a device certificate that openssl verifies, with aMQTT's SPIFFE SAN", async () => {
    await tool("ca-creds", [
      "--country",
      "US",
      "--state",
      "NY",
      "--locality",
      "NYC",
      "--org-name",
      "Test",
      "--cn",
      "Test CA",
    ]);
    await tool("server-creds", ["--country", "US", "--org-name", "Test", "--cn", "127.0.0.1"]);
    await tool("device-creds", [
      "--country",
      "US",
      "--org-name",
      "Test",
      "--device-id",
      "dev-1",
      "--uri",
      "example.com",
    ]);
    const verified = await run("openssl", ["verify", "-CAfile", "ca.crt", "server.crt", "dev-1.crt"], {
      cwd: dir,
    });
    expect(verified.stdout).toContain("server.crt: OK");
    expect(verified.stdout).toContain("dev-1.crt: OK");
    const san = await run("openssl", ["x509", "-in", "dev-1.crt", "-noout", "-ext", "subjectAltName"], {
      cwd: dir,
    });
    expect(san.stdout).toContain("URI:spiffe://example.com/device/dev-1");
    const subject = await run("openssl", ["x509", "-in", "ca.crt", "-noout", "-subject"], { cwd: dir });
    expect(subject.stdout).toMatch(/CN ?= ?Test CA/);
  });

  it("the files set up TLS with client certificates in minutes: the broker sees the verified device", async () => {
    const seen: ClientInfo[] = [];
    const broker = new Broker(
      {
        listeners: {
          default: {
            type: "tcp",
            bind: "127.0.0.1:0",
            ssl: true,
            certfile: join(dir, "server.crt"),
            keyfile: join(dir, "server.key"),
            cafile: join(dir, "ca.crt"),
          },
        },
        plugins: { "anonymous-auth": {} },
      },
      { logger: silentLogger, plugins: [{ name: "watch", onClientConnected: (c) => void seen.push(c) }] },
    );
    await broker.start();
    try {
      const port = String(broker.addresses()[0]!.port);
      await run(
        "mosquitto_pub",
        [
          "-h",
          "127.0.0.1",
          "-p",
          port,
          "--cafile",
          "ca.crt",
          "--cert",
          "dev-1.crt",
          "--key",
          "dev-1.key",
          "-i",
          "dev-1",
          "-t",
          "t",
          "-m",
          "x",
        ],
        { cwd: dir },
      );
      expect(seen.map((c) => [c.clientId, c.certificate?.authorized])).toEqual([["dev-1", true]]);
      expect(seen[0]?.certificate?.subject).toContain("CN=dev-1");
    } finally {
      await broker.stop();
    }
  });

  it("report a missing CA with exit code 1 and a missing flag with exit code 2", async () => {
    const other = mkdtempSync(join(tmpdir(), "amqtt-creds-empty-"));
    try {
      const missingCa = await run(process.execPath, [join(dist, "server-creds-bin.js"), "--cn", "x"], {
        cwd: other,
      }).catch((e) => e);
      expect(missingCa.code).toBe(1);
      const missingFlag = await run(process.execPath, [join(dist, "ca-creds-bin.js")], { cwd: other }).catch(
        (e) => e,
      );
      expect(missingFlag.code).toBe(2);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
