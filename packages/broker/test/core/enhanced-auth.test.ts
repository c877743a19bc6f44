import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientSession, type SessionAction } from "@amqtt/session";
import { afterAll, describe, expect, it } from "vitest";
import {
  deriveScramCredentials,
  formatScramCredentials,
  hashPassword,
  ScramClient,
} from "../../src/index.js";
import { mqttClient, startBroker, until } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-scram-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function passwordFile(): Promise<string> {
  const file = join(dir, `passwd-${Math.random().toString(36).slice(2)}`);
  const scram = formatScramCredentials(deriveScramCredentials("pencil"));
  writeFileSync(file, `alice:${scram}\nbob:${await hashPassword("plain")}\n`);
  return file;
}

interface Outcome {
  connected: boolean;
  reasonCode: number;
  socket: Socket;
  client: ClientSession;
  scramVerified: boolean;
  run: (actions: SessionAction[]) => void;
  events: SessionAction[];
}

/** A 5.0 client (our session machine on a TCP socket) that authenticates with SCRAM-SHA-256. */
function scramConnect(port: number, username: string, password: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = netConnect(port, "127.0.0.1");
    const client = new ClientSession({ protocolVersion: 5 });
    let scram = new ScramClient(username, password);
    const events: SessionAction[] = [];
    const outcome: Outcome = {
      connected: false,
      reasonCode: -1,
      socket,
      client,
      scramVerified: false,
      run: () => {},
      events,
    };
    const run = (actions: SessionAction[]): void => {
      for (const a of actions) {
        events.push(a);
        if (a.kind === "send") socket.write(a.bytes);
        else if (a.kind === "authRequest")
          run(client.authContinue(scram.final(a.data ?? new Uint8Array()), Date.now()));
        else if (a.kind === "connected") {
          const data = a.connack.properties?.authenticationData;
          if (data !== undefined) {
            scram.verify(data);
            outcome.scramVerified = true;
          }
          outcome.connected = true;
          outcome.reasonCode = 0;
          resolve(outcome);
        } else if (a.kind === "authSucceeded") {
          scram.verify(a.data ?? new Uint8Array());
          outcome.scramVerified = true;
        } else if (a.kind === "disconnected") {
          outcome.reasonCode = a.reasonCode;
          resolve(outcome);
        }
      }
    };
    outcome.run = run;
    (outcome as { restart?: () => Uint8Array }).restart = () => {
      scram = new ScramClient(username, password);
      return scram.first();
    };
    socket.on("data", (chunk) => run(client.received(chunk, Date.now())));
    socket.on("close", () => run(client.closed(Date.now())));
    socket.on("connect", () =>
      run(
        client.connect(
          {
            clientId: `scram-${username}`,
            keepAlive: 0,
            properties: { authenticationMethod: "SCRAM-SHA-256", authenticationData: scram.first() },
          },
          Date.now(),
        ),
      ),
    );
  });
}

describe("MQTT 5.0 enhanced authentication with SCRAM-SHA-256 (section 4.12)", () => {
  it("accepts the right password through the AUTH exchange and proves the server to the client", async () => {
    const { port } = await startBroker({ plugins: { "file-auth": { password_file: await passwordFile() } } });
    const outcome = await scramConnect(port, "alice", "pencil");
    expect(outcome.connected).toBe(true);
    expect(outcome.scramVerified).toBe(true);
    // Re-authentication: AUTH 0x19, AUTH 0x18 both ways, AUTH 0x00 [MQTT-4.12.1-1].
    const restart = (outcome as unknown as { restart: () => Uint8Array }).restart;
    outcome.scramVerified = false;
    outcome.run(outcome.client.reauthenticate(restart(), Date.now()));
    await until(() => outcome.scramVerified);
    expect(outcome.events.some((e) => e.kind === "disconnected")).toBe(false);
    outcome.socket.destroy();
  });

  it("refuses a wrong password with CONNACK 0x87, as it does an unknown user", async () => {
    const { port } = await startBroker({ plugins: { "file-auth": { password_file: await passwordFile() } } });
    const wrong = await scramConnect(port, "alice", "not-pencil");
    expect([wrong.connected, wrong.reasonCode]).toEqual([false, 0x87]);
    const unknown = await scramConnect(port, "mallory", "pencil");
    expect([unknown.connected, unknown.reasonCode]).toEqual([false, 0x87]);
    wrong.socket.destroy();
    unknown.socket.destroy();
  });

  it("refuses an authentication method no plugin handles with 0x8C Bad authentication method", async () => {
    const { port } = await startBroker();
    const outcome = await scramConnect(port, "alice", "pencil");
    expect([outcome.connected, outcome.reasonCode]).toEqual([false, 0x8c]);
    outcome.socket.destroy();
  });

  it("a SCRAM line still checks a plain CONNECT password, and other hashes keep working", async () => {
    const { url } = await startBroker({ plugins: { "file-auth": { password_file: await passwordFile() } } });
    await mqttClient(url, { protocolVersion: 5, username: "alice", password: "pencil" });
    await mqttClient(url, { username: "bob", password: "plain" });
    await expect(
      mqttClient(url, { username: "alice", password: "wrong", connectTimeout: 2000 }),
    ).rejects.toThrow();
  });
});
