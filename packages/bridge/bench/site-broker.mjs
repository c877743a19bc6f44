// The site broker of the bridge benchmark, in its own process like Mosquitto:
// our Broker (memory store, or SQLite in the folder SQLITE_DIR when given; no $SYS)
// on 127.0.0.1:PORT with the bridges given as JSON.
// Prints "ready" on stdout once the listener is open and the bridges started.
// Usage: node site-broker.mjs PORT '<bridges JSON>'
import { join } from "node:path";
import { Broker, silentLogger } from "@amqtt/broker";
import { SqliteStore } from "@amqtt/store-sqlite";
import { Bridges } from "../dist/index.js";

const [port, bridgesJson] = process.argv.slice(2);
const sqliteDir = process.env.SQLITE_DIR;
// An injected store keeps its own bounds: let it hold a whole run too (else it drops beyond 1000).
const limits = { maxQueuedMessages: 1_000_000, maxQueuedBytes: 1 << 30 };
const store = sqliteDir ? { store: new SqliteStore({ path: join(sqliteDir, "site.db"), limits }) } : {};
const broker = new Broker(
  {
    listeners: { default: { type: "tcp", bind: `127.0.0.1:${port}` } },
    plugins: { "anonymous-auth": {} },
    // The bridge's queue is one store queue: let it hold a whole run, as the mosquitto site does.
    max_queued_messages: 1_000_000,
  },
  { logger: silentLogger, ...store },
);
await broker.start();
const bridges = Bridges.fromConfig(JSON.parse(bridgesJson), broker, {
  logger: silentLogger,
  sysIntervalMs: 0,
});
await bridges.start();
process.stdout.write("ready\n");
const stop = () =>
  bridges
    .stop()
    .then(() => broker.stop())
    .finally(() => process.exit(0));
process.once("SIGTERM", stop);
// The bench asks for the bridges' status when a round times out.
process.on("SIGUSR2", () => process.stdout.write(`status ${JSON.stringify(bridges.status())}\n`));
process.once("SIGINT", stop);
