import { createServer, type Server } from "node:http";
import { describeTransportCompliance } from "@amqtt/transport/compliance";
import { afterEach } from "vitest";
import { dialWs } from "../src/index.js";
import { listenWs } from "../src/server.js";

describeTransportCompliance("ws on its own port", {
  async listen(options) {
    const listener = await listenWs({ ...options, host: "127.0.0.1", port: 0 });
    const { port } = listener.address();
    return { listener, dial: (connection) => dialWs(`ws://127.0.0.1:${port}/`, connection) };
  },
});

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describeTransportCompliance("ws mounted on an http.Server path", {
  async listen(options) {
    const server = createServer((_request, response) => response.end("app"));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const listener = await listenWs({ ...options, server, path: "/mqtt" });
    const { port } = listener.address();
    return { listener, dial: (connection) => dialWs(`ws://127.0.0.1:${port}/mqtt`, connection) };
  },
});
