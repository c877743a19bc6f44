// The broker process of pre-connect-memory.mjs: starts the Broker of the dist
// given as argv[2] on 127.0.0.1 (free port, connect_timeout 60 s) and prints
// its port. Runs until killed. Started with --expose-gc: collects every 500 ms,
// so RSS shows memory held, not garbage waiting for a collection.
const { Broker, silentLogger } = await import(process.argv[2]);
const broker = new Broker(
  {
    listeners: { default: { type: "tcp", bind: "127.0.0.1:0", max_connections: 0 } },
    plugins: { "anonymous-auth": {} },
    connect_timeout: 60,
  },
  { logger: silentLogger },
);
await broker.start();
process.stdout.write(`${broker.addresses()[0].port}\n`);
if (typeof globalThis.gc === "function") setInterval(() => globalThis.gc(), 500).unref();
