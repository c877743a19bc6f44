// Our broker as a benchmark peer, in its own process: the Broker of @amqtt/broker's dist
// on 127.0.0.1 (free port), anonymous clients, in-memory state, no logging, queue limits
// as loose as the peer Mosquitto's (no in-flight or queue limit). Prints its port on
// stdout and runs until killed.
import { Broker, silentLogger } from "@amqtt/broker";

const broker = new Broker(
  {
    listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } },
    plugins: { "anonymous-auth": { allow_anonymous: true } },
    persistence: { store: "memory" },
    max_inflight_messages: 65535,
    max_queued_messages: 10_000_000,
    max_queued_bytes: 0,
  },
  { logger: silentLogger },
);
await broker.start();
process.stdout.write(`${broker.addresses()[0].port}\n`);
