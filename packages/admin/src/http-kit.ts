import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, badRequest } from "./errors.js";

/** Largest request body read, bytes (a publish payload in base64 fits). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Send `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

/** Send an {@link ApiError} in the contract's shape. */
export function sendError(res: ServerResponse, error: ApiError, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  sendJson(res, error.status, {
    error: {
      code: error.code,
      message: error.message,
      ...(error.field === undefined ? {} : { field: error.field }),
    },
  });
}

/** Read and parse a JSON object body, at most `maxBytes`. */
export async function readJsonBody(
  req: IncomingMessage,
  maxBytes = DEFAULT_MAX_BODY_BYTES,
): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes)
      throw new ApiError("payload_too_large", `the body is over ${maxBytes} bytes`, "body");
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text === "" ? "{}" : text);
  } catch {
    throw badRequest("body", "the body is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw badRequest("body", "the body is a JSON object");
  return value as Record<string, unknown>;
}

/** Query parameters of a request, with typed readers that name the field they refuse. */
export class Query {
  constructor(private readonly params: URLSearchParams) {}

  /** A string parameter, or `undefined` when absent or empty. */
  string(name: string): string | undefined {
    const v = this.params.get(name);
    return v === null || v === "" ? undefined : v;
  }

  /** An integer parameter within [min, max], `fallback` when absent. */
  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.string(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v)) throw badRequest(name, `${name} is an integer from ${min} to ${max}`);
    const n = Number(v);
    if (n < min || n > max) throw badRequest(name, `${name} is an integer from ${min} to ${max}`);
    return n;
  }

  /** One of `values`, or `undefined` when absent. */
  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v))
      throw badRequest(name, `${name} is one of ${values.join(", ")}`);
    return v as T;
  }
}

/** Default and largest page size of the list endpoints. */
export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 1000;

/** The page a list request asks for: at most `limit` items with keys after `after` (the decoded cursor). */
export function pageParams(query: Query): { limit: number; after: string | undefined } {
  const limit = query.int("limit", DEFAULT_PAGE, 1, MAX_PAGE);
  const cursor = query.string("cursor");
  let after: string | undefined;
  if (cursor !== undefined) {
    after = Buffer.from(cursor, "base64url").toString("utf8");
    if (Buffer.from(after, "utf8").toString("base64url") !== cursor)
      throw badRequest("cursor", "cursor is not one this API gave");
  }
  return { limit, after };
}

/** The cursor that continues after `key`. */
export function cursorAfter(key: string): string {
  return Buffer.from(key, "utf8").toString("base64url");
}

/**
 * One page of `items` in `key` order (code unit order, the order cursors compare
 * in; `items` is sorted in place): those after the cursor (the last key of the
 * previous page, base64url), at most `limit`, and the next cursor.
 */
export function page<T>(
  items: T[],
  key: (item: T) => string,
  query: Query,
): { items: T[]; nextCursor: string | null } {
  const { limit, after } = pageParams(query);
  items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const start = after === undefined ? 0 : items.findIndex((item) => key(item) > after!);
  const rest = start < 0 ? [] : items.slice(start);
  const chosen = rest.slice(0, limit);
  const nextCursor =
    rest.length > limit && chosen.length > 0 ? cursorAfter(key(chosen[chosen.length - 1]!)) : null;
  return { items: chosen, nextCursor };
}

/** Payload as the API shows it: UTF-8 text when it is valid UTF-8, else base64; cut at `maxBytes` for previews. */
export function payloadView(
  payload: Uint8Array,
  maxBytes = Number.POSITIVE_INFINITY,
): { payload: string; encoding: "utf8" | "base64"; truncated: boolean } {
  const cut = payload.length > maxBytes ? payload.subarray(0, maxBytes) : payload;
  const truncated = cut.length < payload.length;
  try {
    // A preview cut inside a multi-byte character is still text: `stream` keeps the partial tail out.
    const text = new TextDecoder("utf-8", { fatal: true }).decode(cut, { stream: truncated });
    return { payload: text, encoding: "utf8", truncated };
  } catch {
    return { payload: Buffer.from(cut).toString("base64"), encoding: "base64", truncated };
  }
}
