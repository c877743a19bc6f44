import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Broker, hashPassword, silentLogger } from "@amqtt/broker";
import { freePort, makeTempDir, type TempDir } from "@amqtt/test-utils";
import { afterAll } from "vitest";
import { type AdminOptions, type AdminServer, sha256Hex, startAdmin } from "../src/index.js";
import { checkResponse } from "./openapi-check.js";

/** The credentials the secured fixtures use. */
export const USERS = {
  admin: { name: "root", password: "root-secret" },
  viewer: { name: "watcher", password: "watch-secret" },
};
export const TOKENS = { admin: "tok-admin-0123456789abcdef", viewer: "tok-viewer-0123456789abcdef" };

const dirs: TempDir[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) d.remove();
});

/** A temp folder with an admin password file (argon2, one admin, one viewer) and a tokens file (sha256). */
export async function credentialFiles(): Promise<{ passwordFile: string; tokensFile: string }> {
  const dir = makeTempDir("amqtt-admin-");
  dirs.push(dir);
  const passwordFile = join(dir.path, "admin.passwd");
  const tokensFile = join(dir.path, "admin.tokens");
  writeFileSync(
    passwordFile,
    `${USERS.admin.name}:${await hashPassword(USERS.admin.password)}\n${USERS.viewer.name}:${await hashPassword(USERS.viewer.password)}:viewer\n`,
  );
  writeFileSync(
    tokensFile,
    `ci:admin:${sha256Hex(TOKENS.admin)}\n# a reader\ngrafana:viewer:${sha256Hex(TOKENS.viewer)}\n`,
  );
  return { passwordFile, tokensFile };
}

/** A started broker with a TCP listener on a free loopback port and its admin listener. */
export interface Fixture {
  broker: Broker;
  admin: AdminServer;
  mqttPort: number;
  stop(): Promise<void>;
}

/** Start a broker (anonymous clients) with an admin listener; `secured` adds the credential files. */
export async function startFixture(
  options: {
    secured?: boolean;
    metricsPublic?: boolean;
    config?: Record<string, unknown>;
    admin?: AdminOptions;
  } = {},
): Promise<Fixture> {
  const mqttPort = await freePort();
  let adminPort = await freePort();
  // A port just freed may come back from the next call.
  while (adminPort === mqttPort) adminPort = await freePort();
  const files = options.secured ? await credentialFiles() : undefined;
  const broker = new Broker(
    {
      listeners: {
        default: { type: "tcp", bind: `127.0.0.1:${mqttPort}` },
        admin: { type: "http", bind: `127.0.0.1:${adminPort}` },
      },
      plugins: { "anonymous-auth": { allow_anonymous: true } },
      admin: {
        ...(files === undefined ? {} : { password_file: files.passwordFile, tokens_file: files.tokensFile }),
        ...(options.metricsPublic === undefined ? {} : { metrics_public: options.metricsPublic }),
      },
      ...options.config,
    },
    { logger: silentLogger },
  );
  await broker.start();
  const admin = await startAdmin(broker, { logger: silentLogger, ...options.admin });
  return {
    broker,
    admin,
    mqttPort,
    stop: async () => {
      await admin.close();
      await broker.stop();
    },
  };
}

/** How a request authenticates. */
export type As =
  | "none"
  | "admin"
  | "viewer"
  | "admin-token"
  | "viewer-token"
  | { basic: [string, string] }
  | { bearer: string };

function authHeader(as: As): Record<string, string> {
  if (as === "none") return {};
  const basic = (u: string, p: string) => ({
    authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`,
  });
  if (as === "admin") return basic(USERS.admin.name, USERS.admin.password);
  if (as === "viewer") return basic(USERS.viewer.name, USERS.viewer.password);
  if (as === "admin-token") return { authorization: `Bearer ${TOKENS.admin}` };
  if (as === "viewer-token") return { authorization: `Bearer ${TOKENS.viewer}` };
  if ("basic" in as) return basic(...as.basic);
  return { authorization: `Bearer ${as.bearer}` };
}

/** An answer of the API. */
export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: the tests read many response shapes; openapi.yaml checked each one already.
  body: any;
  text: string;
}

/**
 * Call the admin API and check the answer against openapi.yaml (operation,
 * status, schema) before returning it.
 */
export async function api(
  admin: AdminServer,
  method: string,
  path: string,
  options: { as?: As; body?: unknown; rawBody?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...authHeader(options.as ?? "none") };
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] = "application/json";
  }
  const res = await fetch(`${admin.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  const contentType = res.headers.get("content-type") ?? "";
  const parsed = contentType.startsWith("application/json") ? JSON.parse(text) : text;
  checkResponse(method, path.split("?")[0]!, res.status, contentType, parsed);
  return { status: res.status, headers: res.headers, body: parsed, text };
}
