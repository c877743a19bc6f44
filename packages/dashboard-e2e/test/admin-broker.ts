// A real broker (TCP listener, anonymous MQTT clients) with its admin listener, started
// through @amqtt/admin's public API, which serves @amqtt/dashboard's built assets.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AdminServer, startAdmin } from "@amqtt/admin";
import { Broker, hashPassword, silentLogger } from "@amqtt/broker";
import { assertDashboardBuilt } from "@amqtt/dashboard";
import { freePort, makeTempDir } from "@amqtt/test-utils";

/** A user of the admin password file. */
export interface AdminUser {
  username: string;
  password: string;
  role: "admin" | "viewer";
}

/** The running broker and admin listener. */
export interface AdminBroker {
  broker: Broker;
  admin: AdminServer;
  /** `mqtt://127.0.0.1:PORT` of the TCP listener. */
  mqttUrl: string;
  /** The admin listener's URL, ending in `/`: the dashboard is served there. */
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the broker and its admin listener on free loopback ports. With `users`, the
 * admin section gets a password file (`name:hash[:role]`, argon2id as the broker
 * hashes); without, the admin API runs in open mode (loopback only, full rights).
 */
export async function startAdminBroker(options: { users?: AdminUser[] } = {}): Promise<AdminBroker> {
  assertDashboardBuilt();
  const dir = makeTempDir("amqtt-dashboard-e2e-");
  const mqttPort = await freePort();
  const adminPort = await freePort();
  let passwordFile: string | undefined;
  if (options.users !== undefined) {
    passwordFile = join(dir.path, "admin.passwd");
    const lines = await Promise.all(
      options.users.map(async (u) => `${u.username}:${await hashPassword(u.password)}:${u.role}`),
    );
    writeFileSync(passwordFile, `${lines.join("\n")}\n`);
  }
  const broker = new Broker(
    {
      listeners: {
        default: { type: "tcp", bind: `127.0.0.1:${mqttPort}` },
        admin: { type: "http", bind: `127.0.0.1:${adminPort}` },
      },
      plugins: { "anonymous-auth": { allow_anonymous: true } },
      admin: passwordFile === undefined ? {} : { password_file: passwordFile },
    },
    { logger: silentLogger },
  );
  await broker.start();
  // No dashboardDir: the admin serves @amqtt/dashboard's assets by default, as `amqtt --admin-port` does.
  const admin = await startAdmin(broker, { logger: silentLogger });
  return {
    broker,
    admin,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    adminUrl: admin.url.endsWith("/") ? admin.url : `${admin.url}/`,
    async stop() {
      await admin.close();
      await broker.stop();
      dir.remove();
    },
  };
}
