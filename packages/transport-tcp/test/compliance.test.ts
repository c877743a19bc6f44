import { certs } from "@amqtt/test-utils";
import { describeTransportCompliance } from "@amqtt/transport/compliance";
import { dialTcp, listenTcp } from "../src/index.js";

describeTransportCompliance("tcp", {
  async listen(options) {
    const listener = await listenTcp({ ...options, host: "127.0.0.1", port: 0 });
    const { port } = listener.address();
    return { listener, dial: (connection) => dialTcp({ host: "127.0.0.1", port: port! }, connection) };
  },
});

describeTransportCompliance("tls with client certificates", {
  async listen(options) {
    const listener = await listenTcp({
      ...options,
      host: "127.0.0.1",
      port: 0,
      tls: { ...certs.server, ca: certs.ca, requestCert: true, rejectUnauthorized: true },
    });
    const { port } = listener.address();
    return {
      listener,
      dial: (connection) =>
        dialTcp({ host: "127.0.0.1", port: port!, tls: { ca: certs.ca, ...certs.client } }, connection),
    };
  },
});
