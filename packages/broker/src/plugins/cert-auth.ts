import type { BrokerPlugin, PluginContext } from "./types.js";

/**
 * aMQTT's `UserAuthCertPlugin` (contrib, option `uri_domain`): a client
 * authenticates with a TLS client certificate whose chain verified against the
 * listener's CA and whose subject alternative names hold the URI
 * `spiffe://<uri_domain>/device/<client id>` (what `device_creds` issues).
 *
 * - a verified certificate with that URI: accepted;
 * - a certificate that did not verify, or lacks that URI: refused (0x87 in 5.0);
 * - no certificate: the plugin abstains, so another authentication plugin
 *   (e.g. `file-auth` for password clients) can decide; alone, it refuses.
 */
export function createCertAuthPlugin(context: PluginContext): BrokerPlugin {
  const domain = String(context.options.uri_domain);
  return {
    name: "cert-auth",
    authenticate(client) {
      const cert = client.certificate;
      if (cert === undefined) return undefined;
      const expected = `spiffe://${domain}/device/${client.clientId}`;
      if (cert.authorized && (cert.uris ?? []).includes(expected)) return true;
      context.logger.info("client certificate refused", {
        clientId: client.clientId,
        authorized: cert.authorized,
        expected,
      });
      return false;
    },
  };
}
