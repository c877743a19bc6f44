import type { BuiltinPluginName } from "../config/plugins.js";
import { createAnonymousAuthPlugin } from "./anonymous-auth.js";
import { createCertAuthPlugin } from "./cert-auth.js";
import { createEventLoggerPlugin } from "./event-logger.js";
import { createFileAuthPlugin } from "./file-auth.js";
import { createPacketLoggerPlugin } from "./packet-logger.js";
import { createSysPlugin } from "./sys.js";
import { createTopicAclPlugin } from "./topic-acl.js";
import { createTopicTabooPlugin } from "./topic-taboo.js";
import type { PluginFactory } from "./types.js";

/** The factory of each built-in plugin, by our name for it (see config/plugins.ts for aMQTT's names). */
export const builtinPluginFactories: Readonly<Record<BuiltinPluginName, PluginFactory>> = {
  "event-logger": createEventLoggerPlugin,
  "packet-logger": createPacketLoggerPlugin,
  "anonymous-auth": createAnonymousAuthPlugin,
  "file-auth": createFileAuthPlugin,
  "cert-auth": createCertAuthPlugin,
  "topic-taboo": createTopicTabooPlugin,
  "topic-acl": createTopicAclPlugin,
  sys: (context) => createSysPlugin(context),
};
