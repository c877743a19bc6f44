import type { IncomingMessage, ServerResponse } from "node:http";
import type { Principal, Role } from "../credentials.js";
import type { Query } from "../http-kit.js";

/** What a route handler gets. */
export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path parameters, URL-decoded. */
  params: Record<string, string>;
  query: Query;
  principal: Principal;
}

/** A route handler: it answers through `res` (the helpers of `http-kit`). */
export type Handler = (r: RouteRequest) => void | Promise<void>;

/** One route: method, path pattern (`:name` one segment, `:name*` the rest), the role it needs. */
export interface Route {
  method: "GET" | "POST" | "DELETE";
  pattern: string;
  role: Role;
  /** Served without credentials (the login itself). */
  public?: boolean;
  handler: Handler;
}

interface Compiled extends Route {
  segments: string[];
}

/** Matches request paths to routes; a tiny table, since the API has a fixed, small set of paths. */
export class Router {
  private readonly routes: Compiled[] = [];

  constructor(routes: readonly Route[]) {
    for (const r of routes) this.routes.push({ ...r, segments: r.pattern.split("/").filter(Boolean) });
  }

  /**
   * The route for `method` and `path` with its parameters; `methods` lists the
   * methods the path has when the method did not match (for 405), empty when no path matched.
   */
  match(method: string, path: string): { route?: Route; params: Record<string, string>; methods: string[] } {
    const parts = path.split("/").filter(Boolean);
    const methods: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (params === undefined) continue;
      if (route.method === method) return { route, params, methods };
      methods.push(route.method);
    }
    return { params: {}, methods };
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(":") && p.endsWith("*")) {
      if (i >= parts.length) return undefined;
      params[p.slice(1, -1)] = parts.slice(i).map(decode).join("/");
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (p.startsWith(":")) params[p.slice(1)] = decode(part);
    else if (p !== part) return undefined;
  }
  return pattern.length === parts.length ? params : undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
