import { join } from "node:path";
import { certs, makeTempDir } from "@amqtt/test-utils";
import { proxyV1Header } from "@amqtt/test-utils/proxy";
import { describeTransportCompliance } from "@amqtt/transport/compliance";
import { afterAll } from "vitest";
import { dialTcp, listenTcp } from "../src/index.js";
import { dialWithHeader, v2Ipv4Header } from "./proxy-dial.js";

/** A server that asks for and verifies a client certificate, and a client that presents one. */
const mutualTlsServer = { ...certs.server, ca: certs.ca, requestCert: true, rejectUnauthorized: true };
const mutualTlsClient = { ca: certs.ca, ...certs.client };

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
      tls: mutualTlsServer,
    });
    const { port } = listener.address();
    return {
      listener,
      dial: (connection) => dialTcp({ host: "127.0.0.1", port: port!, tls: mutualTlsClient }, connection),
    };
  },
});

describeTransportCompliance("tcp behind a PROXY protocol v1 header", {
  async listen(options) {
    const listener = await listenTcp({
      ...options,
      host: "127.0.0.1",
      port: 0,
      proxyProtocol: { trusted: ["127.0.0.1"] },
    });
    const { port } = listener.address();
    return {
      listener,
      dial: (connection) =>
        dialWithHeader(
          port!,
          proxyV1Header({ host: "192.0.2.1", port: 4000 }, { host: "127.0.0.1", port: 1883 }),
          connection,
        ),
    };
  },
});

describeTransportCompliance("tls behind a PROXY protocol v2 header", {
  async listen(options) {
    const listener = await listenTcp({
      ...options,
      host: "127.0.0.1",
      port: 0,
      tls: mutualTlsServer,
      proxyProtocol: { trusted: ["127.0.0.0/8"] },
    });
    const { port } = listener.address();
    return {
      listener,
      dial: (connection) => dialWithHeader(port!, v2Ipv4Header, connection, mutualTlsClient),
    };
  },
});

const unixDir = makeTempDir("amqtt-unix-compliance-");
afterAll(() => unixDir.remove());
let unixSockets = 0;

describeTransportCompliance("unix domain socket", {
  async listen(options) {
    const path = join(unixDir.path, `s${++unixSockets}.sock`);
    const listener = await listenTcp({ ...options, path });
    return { listener, dial: (connection) => dialTcp({ host: "", port: 0, path }, connection) };
  },
});
