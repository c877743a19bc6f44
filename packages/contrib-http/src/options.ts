import { z } from "zod";

/**
 * The options of aMQTT's HTTP plugins, with aMQTT's names and defaults, and our
 * bounds (pool size, response size, result cache).
 */
export const httpOptionsSchema = z
  .strictObject({
    host: z.string().min(1),
    port: z.int().min(1).max(65535),
    user_uri: z.string().startsWith("/").default("/user"),
    topic_uri: z.string().startsWith("/").default("/acl"),
    /** aMQTT's docs and code say `acl_uri` where its configuration says `topic_uri` (QUIRK): both are accepted. */
    acl_uri: z.string().startsWith("/").optional(),
    request_method: z.enum(["get", "post", "put"]).default("get"),
    params_mode: z.enum(["json", "form"]).default("json"),
    response_mode: z.enum(["status", "json", "text"]).default("json"),
    with_tls: z.boolean().default(false),
    user_agent: z.string().default("amqtt"),
    /** Accepted for aMQTT files; aMQTT does not use it either. */
    superuser_uri: z.string().nullable().optional(),
    /** Seconds one request may take; then the check denies. */
    timeout: z.number().positive().default(5),
    // Ours:
    /** Sockets kept open to the service (the connection pool's bound). */
    max_connections: z.int().min(1).default(16),
    /** Largest response body read, in bytes; a larger one denies. */
    max_response_bytes: z.int().min(1).default(65_536),
    /** Seconds a definite answer is reused for the same question; 0 turns the cache off. */
    cache_ttl: z.number().min(0).default(0),
    /** Answers kept at most; the oldest goes first. */
    cache_max_entries: z.int().min(1).default(10_000),
  })
  .transform(({ acl_uri, ...rest }) => (acl_uri === undefined ? rest : { ...rest, topic_uri: acl_uri }));

/** Validated options of the HTTP plugins. */
export type HttpPluginOptions = z.output<typeof httpOptionsSchema>;
