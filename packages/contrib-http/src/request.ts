import http from "node:http";
import https from "node:https";
import type { HttpPluginOptions } from "./options.js";

/** A check's answer: allow, deny, or abstain (`undefined`: the json mode's `{"ok": null}`). */
export type HttpAnswer = boolean | undefined;

/** Why a request gave no answer from the service: it was not reachable, too slow, or said too much. */
export class HttpCheckError extends Error {
  override name = "HttpCheckError";
  constructor(
    readonly kind: "timeout" | "unreachable" | "too-large" | "bad-response",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The fields of one request (aMQTT's names). */
export type RequestFields = Record<string, string | number>;

/**
 * Sends aMQTT's requests over a pool of keep-alive sockets (bounded by
 * `max_connections`) and reads the answer in the configured response mode.
 */
export class HttpChecker {
  readonly #agent: http.Agent;
  readonly #options: HttpPluginOptions;
  readonly #deadlineMs: number;

  /** `deadlineMs`: the longest a whole request may take (default: the `timeout` option). */
  constructor(options: HttpPluginOptions, deadlineMs: number = options.timeout * 1000) {
    this.#options = options;
    this.#deadlineMs = deadlineMs;
    const Agent = options.with_tls ? https.Agent : http.Agent;
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: options.max_connections,
      maxFreeSockets: options.max_connections,
    });
  }

  /** Ask the service at `uri`; throws `HttpCheckError` when it gives no answer. */
  async check(uri: string, fields: RequestFields): Promise<HttpAnswer> {
    const { status, body } = await this.#send(uri, fields);
    return interpret(this.#options.response_mode, status, body);
  }

  /** Close the pooled sockets. */
  close(): void {
    this.#agent.destroy();
  }

  #send(uri: string, fields: RequestFields): Promise<{ status: number; body: string }> {
    const o = this.#options;
    const method = o.request_method.toUpperCase();
    let path = uri;
    let body: string | undefined;
    const headers: Record<string, string> = { "User-Agent": o.user_agent };
    const strings = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
    if (o.params_mode === "json") {
      // As aMQTT: a JSON body, with GET too.
      body = JSON.stringify(fields);
      headers["Content-Type"] = "application/json";
    } else if (o.request_method === "get") {
      path += `${uri.includes("?") ? "&" : "?"}${new URLSearchParams(strings).toString()}`;
    } else {
      body = new URLSearchParams(strings).toString();
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    if (body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(body));
    const transport = o.with_tls ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(
        { host: o.host, port: o.port, path, method, headers, agent: this.#agent, timeout: this.#deadlineMs },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let overflowed = false;
          response.on("data", (chunk: Buffer) => {
            if (overflowed) return;
            size += chunk.length;
            if (size > o.max_response_bytes) {
              // Stop reading and answer now; the socket is dropped, not reused.
              overflowed = true;
              reject(new HttpCheckError("too-large", `response larger than ${o.max_response_bytes} bytes`));
              request.destroy();
              return;
            }
            chunks.push(chunk);
          });
          response.on("end", () => {
            if (!overflowed)
              resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
          });
          response.on("error", (error) => reject(asCheckError(error)));
        },
      );
      // One bound for the whole exchange (connect, headers and body), not only socket idleness.
      const deadline = setTimeout(
        () => request.destroy(new HttpCheckError("timeout", `no answer within ${this.#deadlineMs} ms`)),
        this.#deadlineMs,
      );
      request.on("close", () => clearTimeout(deadline));
      request.on("timeout", () =>
        request.destroy(new HttpCheckError("timeout", `no answer within ${this.#deadlineMs} ms`)),
      );
      request.on("error", (error) => reject(asCheckError(error)));
      request.end(body);
    });
  }
}

function asCheckError(error: unknown): HttpCheckError {
  if (error instanceof HttpCheckError) return error;
  return new HttpCheckError("unreachable", (error as Error).message, { cause: error });
}

/** aMQTT's three response modes. */
export function interpret(
  mode: HttpPluginOptions["response_mode"],
  status: number,
  body: string,
): HttpAnswer {
  const ok = status >= 200 && status < 300;
  switch (mode) {
    case "status":
      if (ok) return true;
      // aMQTT abstains on any other status, which lets a topic through when no
      // other plugin decides: a failing service (5xx) would allow (QUIRK). It denies here.
      return false;
    case "text":
      return ok && body.trim().toLowerCase() === "ok";
    case "json": {
      if (!ok) return false;
      let data: unknown;
      try {
        data = JSON.parse(body);
      } catch (error) {
        throw new HttpCheckError("bad-response", "the response is not JSON", { cause: error });
      }
      if (data === null || typeof data !== "object") return false;
      for (const key of ["OK", "Ok", "ok"]) {
        if (!(key in data)) continue;
        const value = (data as Record<string, unknown>)[key];
        if (value === null) return undefined;
        if (typeof value === "boolean") return value;
      }
      return false;
    }
  }
}
