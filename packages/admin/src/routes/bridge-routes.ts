import { bridgeView } from "../bridge-status.js";
import { sendJson } from "../http-kit.js";
import type { ApiDeps } from "./deps.js";
import type { Route } from "./router.js";

/** Bridges (`/api/v1/bridges`): an empty list when the admin listener was given none. */
export function bridgeRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: "GET",
      pattern: "/api/v1/bridges",
      role: "viewer",
      handler: ({ res }) => {
        const all = deps.bridges?.status() ?? [];
        sendJson(res, 200, { items: all.map(bridgeView) });
      },
    },
  ];
}
