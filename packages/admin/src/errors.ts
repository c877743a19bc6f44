/** The admin listener cannot start with this configuration (e.g. a non-loopback bind without credentials). */
export class AdminConfigError extends Error {
  override readonly name = "AdminConfigError";
  constructor(
    /** The configuration key at fault, e.g. `listeners.admin.bind`. */
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** A malformed line in the admin tokens file. */
export class TokensFileError extends Error {
  override readonly name = "TokensFileError";
  constructor(
    readonly file: string,
    /** 1-based line number. */
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

/** The error codes of the admin API (api-contract). */
export type ApiErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_many_requests"
  | "payload_too_large"
  | "node_unavailable";

const statusOf: Record<ApiErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  too_many_requests: 429,
  node_unavailable: 503,
};

/** A refused API request: answered as `{ error: { code, message, field? } }` with the code's HTTP status. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** The request field at fault (query parameter, body key or path parameter). */
    readonly field?: string,
  ) {
    super(message);
  }

  /** The HTTP status of this error. */
  get status(): number {
    return statusOf[this.code];
  }
}

/** A 400 naming `field`. */
export function badRequest(field: string, message: string): ApiError {
  return new ApiError("bad_request", message, field);
}
