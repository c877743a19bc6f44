import { createReadStream, existsSync, statSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { dashboardAssetsDir } from "@amqtt/dashboard";

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".map": "application/json",
};

/**
 * Where the dashboard's built assets are: `dir` when given, else the folder
 * `@amqtt/dashboard` builds (`dashboardAssetsDir`), or `undefined` when it has
 * no `index.html` there (not built: the listener then serves a short page
 * pointing at the API, and says so in its start-up log).
 */
export function findDashboardAssets(dir: string = dashboardAssetsDir): string | undefined {
  return existsSync(join(dir, "index.html")) ? dir : undefined;
}

/** Serve `path` from `root` (index.html for `/`); false when there is no such file. Never outside `root`. */
export function serveAsset(root: string, path: string, res: ServerResponse, head = false): boolean {
  const relative = path === "/" ? "index.html" : decodeURIComponent(path).replace(/^\/+/, "");
  const full = normalize(join(root, relative));
  if (!full.startsWith(root.endsWith(sep) ? root : root + sep)) return false;
  if (!existsSync(full) || !statSync(full).isFile()) return false;
  const hashed = /[-.][A-Za-z0-9_-]{8,}\.(js|css|woff2|svg|png)$/.test(full);
  res.writeHead(200, {
    "content-type": types[extname(full)] ?? "application/octet-stream",
    "content-length": statSync(full).size,
    // Hashed file names change with their content; index.html must always be fresh.
    "cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
    "x-content-type-options": "nosniff",
  });
  if (head) res.end();
  else createReadStream(full).pipe(res);
  return true;
}

/** The page served at `/` when no dashboard is installed. */
export const NO_DASHBOARD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>amqtt admin</title></head>
<body><h1>amqtt admin</h1>
<p>The dashboard is not installed (add <code>@amqtt/dashboard</code>). The API is here:</p>
<ul><li><a href="/api/v1/openapi.yaml">/api/v1/openapi.yaml</a> (OpenAPI 3.1)</li>
<li><a href="/metrics">/metrics</a> (Prometheus)</li><li><a href="/healthz">/healthz</a></li></ul>
</body></html>
`;
