import type { AnyPluginDefinition } from "@amqtt/broker";
import { pluginDefinitions as authDb } from "@amqtt/contrib-auth-db";
import { pluginDefinitions as http } from "@amqtt/contrib-http";
import { pluginDefinitions as jwt } from "@amqtt/contrib-jwt";
import { pluginDefinitions as ldap } from "@amqtt/contrib-ldap";
import { pluginDefinitions as shadows } from "@amqtt/contrib-shadows";

/**
 * Every contrib package's plugin definitions, so a configuration naming aMQTT's
 * contrib plugins (`amqtt.contrib.http.UserAuthHttpPlugin`, ...) runs unchanged
 * with the `amqtt` command. Each contrib package exports `pluginDefinitions`;
 * add its list here (and the package to this one's dependencies).
 */
export const contribPluginDefinitions: readonly AnyPluginDefinition[] = [
  ...authDb,
  ...http,
  ...jwt,
  ...ldap,
  ...shadows,
];
