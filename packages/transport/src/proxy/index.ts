export { AddressMatcher } from "./address-matcher.js";
export { crc32c } from "./crc32c.js";
export {
  DEFAULT_PROXY_HEADER_MAX_BYTES,
  decodeProxyHeader,
  type ProxyDecoded,
  ProxyHeaderDecoder,
  type ProxyHeaderDecoderOptions,
} from "./decoder.js";
export {
  InvalidAddressRangeError,
  ProxyProtocolError,
  type ProxyProtocolFault,
  UntrustedProxyError,
} from "./errors.js";
export { type ForwardedClient, type ForwardingHeaders, forwardedClient } from "./forwarded.js";
export {
  type ProxyEndpoint,
  type ProxyHeader,
  type ProxyIpEndpoint,
  type ProxyTlv,
  type ProxyUnixEndpoint,
  proxyTlvs,
  proxyTlvText,
} from "./header.js";
export { formatIpv6, parseIp } from "./ip.js";
