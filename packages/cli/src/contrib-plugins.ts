import type { AnyPluginDefinition } from "@amqtt/broker";

/**
 * Every contrib package's plugin definitions, so a configuration naming aMQTT's
 * contrib plugins (`amqtt.contrib.http.UserAuthHttpPlugin`, ...) runs unchanged
 * with the `amqtt` command. Each contrib package exports `pluginDefinitions`;
 * add its import here (and the package to this one's dependencies). Imported on
 * demand: they pull in jose, ldapts, pg and mysql2, which a configuration that
 * names no contrib plugin never needs.
 */
export async function loadContribPluginDefinitions(): Promise<readonly AnyPluginDefinition[]> {
  const [authDb, http, jwt, ldap, shadows] = await Promise.all([
    import("@amqtt/contrib-auth-db"),
    import("@amqtt/contrib-http"),
    import("@amqtt/contrib-jwt"),
    import("@amqtt/contrib-ldap"),
    import("@amqtt/contrib-shadows"),
  ]);
  return [
    ...authDb.pluginDefinitions,
    ...http.pluginDefinitions,
    ...jwt.pluginDefinitions,
    ...ldap.pluginDefinitions,
    ...shadows.pluginDefinitions,
  ];
}
