// Typed failures of the admin API client; pages branch on `name` and `code`.

/** The error codes the admin API puts in `{ error: { code } }`. */
export type ApiErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_many_requests";

const knownCodes: readonly string[] = [
  "bad_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "too_many_requests",
];

/** The API answered with an error body (`{ error: { code, message, field? } }`). */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    /** HTTP status. */
    readonly status: number,
    /** The API's error code. */
    readonly code: ApiErrorCode,
    message: string,
    /** The request field the error is about, when the API names one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The request never got an answer (connection refused, reset, CORS, offline). */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
  constructor(
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(`no answer from ${url}`, options);
  }
}

/** No answer within the client's time limit. */
export class RequestTimeoutError extends Error {
  override readonly name = "RequestTimeoutError";
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`no answer from ${url} within ${timeoutMs} ms`);
  }
}

/** An answer that is not what the contract says (not JSON, or an error without the error shape). */
export class UnexpectedResponseError extends Error {
  override readonly name = "UnexpectedResponseError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The error body's `code` when it is one of the contract's, else `undefined`. */
export function asApiErrorCode(code: unknown): ApiErrorCode | undefined {
  return typeof code === "string" && knownCodes.includes(code) ? (code as ApiErrorCode) : undefined;
}

/** A message for a person, for any error the client throws. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.field ? `${err.message} (${err.field})` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
