export { amqttConfigWithPlugins, amqttDocsDefaultConfig, writeAmqttConfig } from "./amqtt-config.js";
export { certPath, certs, certsDir } from "./certs.js";
export type { DbServer } from "./db-server.js";
export { debianBinary, type Mosquitto, type MosquittoOptions, startMosquitto } from "./mosquitto.js";
export { type MosquittoPubOptions, mosquittoPub } from "./mosquitto-pub.js";
export { leaveQueuedAndRetained, type TopicMessage, withMqttClient } from "./mqtt-client.js";
export { accepts, freePort, waitForPort } from "./ports.js";
export { randomBytes, seededRandom } from "./prng.js";
export { expectAliceTopicLists, type TopicListClient } from "./topic-lists.js";
