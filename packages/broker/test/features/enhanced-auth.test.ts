// MQTT 5.0 enhanced authentication (section 4.12) with SCRAM-SHA-256, over the memory harness.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnackReturnCode, ReasonCode } from "@amqtt/codec";
import { afterAll, describe, expect, it } from "vitest";
import { deriveScramCredentials, formatScramCredentials, hashPassword } from "../../src/index.js";
import { scramConnect, scramReauthenticate } from "../harness/enhanced-auth.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { expectNothingPending } from "../harness/steps.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-scram-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function passwordFile(): Promise<string> {
  const file = join(dir, `passwd-${Math.random().toString(36).slice(2)}`);
  const scram = formatScramCredentials(deriveScramCredentials("pencil"));
  writeFileSync(file, `alice:${scram}\nbob:${await hashPassword("plain")}\n`);
  return file;
}

const fileAuth = async () => ({ plugins: { "file-auth": { password_file: await passwordFile() } } });
const password = (username: string, secret: string) => ({
  username,
  password: new TextEncoder().encode(secret),
});

describe("MQTT 5.0 enhanced authentication with SCRAM-SHA-256 (section 4.12)", () => {
  it("accepts the right password through the AUTH exchange and proves the server to the client", async () => {
    const broker = await startMemoryBroker(await fileAuth());
    const outcome = await scramConnect(broker, "scram-alice", "alice", "pencil");
    expect(outcome.connack.reasonCode).toBe(ReasonCode.SUCCESS);
    expect(outcome.serverVerified).toBe(true);
    // Re-authentication: AUTH 0x19, AUTH 0x18 both ways, AUTH 0x00 [MQTT-4.12.1-1].
    await scramReauthenticate(outcome.peer, "alice", "pencil");
    // Still connected, and no DISCONNECT came: the next packet is the PINGRESP.
    await expectNothingPending(outcome.peer);
  });

  it("refuses a wrong password with CONNACK 0x87, as it does an unknown user", async () => {
    const broker = await startMemoryBroker(await fileAuth());
    const wrong = await scramConnect(broker, "scram-alice", "alice", "not-pencil");
    expect([wrong.serverVerified, wrong.connack.reasonCode]).toEqual([false, ReasonCode.NOT_AUTHORIZED]);
    await wrong.peer.expectClosed();
    const unknown = await scramConnect(broker, "scram-mallory", "mallory", "pencil");
    expect([unknown.serverVerified, unknown.connack.reasonCode]).toEqual([false, ReasonCode.NOT_AUTHORIZED]);
    await unknown.peer.expectClosed();
  });

  it("refuses an authentication method no plugin handles with 0x8C Bad authentication method [MQTT-4.12.0-1]", async () => {
    const broker = await startMemoryBroker();
    const outcome = await scramConnect(broker, "scram-alice", "alice", "pencil");
    expect([outcome.serverVerified, outcome.connack.reasonCode]).toEqual([
      false,
      ReasonCode.BAD_AUTHENTICATION_METHOD,
    ]);
    await outcome.peer.expectClosed();
  });

  it("a SCRAM line still checks a plain CONNECT password, and other hashes keep working", async () => {
    const broker = await startMemoryBroker(await fileAuth());
    await MqttPeer.connected(broker, "plain-alice", password("alice", "pencil"), { version: 5 });
    await MqttPeer.connected(broker, "plain-bob", password("bob", "plain"), { version: 4 });
    const refused = MqttPeer.open(broker, { version: 4 });
    refused.connect("plain-wrong", password("alice", "wrong"));
    expect((await refused.expect("connack")).reasonCode).toBe(ConnackReturnCode.BAD_USERNAME_OR_PASSWORD);
    await refused.expectClosed();
  });
});
