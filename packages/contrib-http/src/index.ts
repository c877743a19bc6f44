export { AnswerCache } from "./cache.js";
export { type HttpPluginOptions, httpOptionsSchema } from "./options.js";
export {
  ACC,
  createHttpPlugin,
  httpAclPlugin,
  httpAuthAclPlugin,
  httpAuthPlugin,
  pluginDefinitions,
} from "./plugins.js";
export { type HttpAnswer, HttpCheckError, HttpChecker, interpret, type RequestFields } from "./request.js";
