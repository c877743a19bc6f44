import { Broker, loadBrokerConfigFile, resolveBrokerConfig, silentLogger } from "@amqtt/broker";
import { writeAmqttConfig } from "@amqtt/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import {
  openDatabase,
  PasswordHasher,
  parseConnectionUrl,
  pluginDefinitions,
  TopicManager,
  UserManager,
} from "../src/index.js";
import { mosquittoPub, tempDir } from "./helpers.js";

// aMQTT's sample configuration for the database plugins, written as an aMQTT user
// has it, runs unchanged through the broker's plugin registry.

const brokers: Broker[] = [];
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
});

describe("an aMQTT configuration naming the database plugins", () => {
  it("starts the broker unchanged, with the SQLite path taken from the config file's folder", async () => {
    const dir = tempDir();
    const file = writeAmqttConfig(
      dir,
      `  amqtt.contrib.auth_db.UserAuthDBPlugin:
    connection: sqlite+aiosqlite:///auth.db
    sync_schema: true
    hash_schemes: [argon2, bcrypt]
  amqtt.contrib.auth_db.TopicAuthDBPlugin:
    connection: sqlite+aiosqlite:///auth.db
    sync_schema: true
`,
    );
    const config = await loadBrokerConfigFile(file, { pluginDefinitions });
    const broker = new Broker(config, { logger: silentLogger, pluginDefinitions, baseDir: dir });
    await broker.start();
    brokers.push(broker);
    const db = await openDatabase(parseConnectionUrl("sqlite:///auth.db", dir));
    await new UserManager(db, new PasswordHasher()).create("gina", "gina-pw");
    await new TopicManager(db).create("gina");
    await new TopicManager(db).addTopic("gina", "t/#", "publish");
    await db.close();
    const port = broker.addresses()[0]?.port ?? 0;
    expect((await mosquittoPub(port, "gina", "gina-pw")).code).toBe(0);
    expect((await mosquittoPub(port, "gina", "nope")).code).not.toBe(0);
  });

  it("reports a wrong option with its key path", () => {
    expect(() =>
      resolveBrokerConfig(
        {
          plugins: {
            "amqtt.contrib.auth_db.UserAuthDBPlugin": { connection: "sqlite:///a.db", hash_schemes: ["md5"] },
          },
        },
        { pluginDefinitions },
      ),
    ).toThrow(/plugins\.amqtt\.contrib\.auth_db\.UserAuthDBPlugin\.hash_schemes\.0/);
  });
});
