import { describeTransportCompliance } from "@amqtt/transport/compliance";
import { MemoryHub } from "../src/index.js";

describeTransportCompliance("memory", {
  async listen(options) {
    const hub = new MemoryHub();
    const listener = hub.listen("broker", options);
    return { listener, dial: (connection) => hub.dial("broker", connection) };
  },
});
