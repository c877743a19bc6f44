// What every page gets from the shell: the API client and what the signed-in user may do.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { AdminApi } from "./lib/api.ts";
import type { Role } from "./lib/types.ts";

/** The shell's context value. */
export interface DashboardContext {
  api: AdminApi;
  role: Role;
  /** `undefined` in open mode (the API needs no credentials on loopback). */
  username: string | undefined;
}

/** The context the shell provides. */
export const Dashboard = createContext<DashboardContext | null>(null);

/** The shell's context (only inside the signed-in layout). */
export function useDashboard(): DashboardContext {
  const ctx = useContext(Dashboard);
  if (ctx === null) throw new Error("useDashboard outside the signed-in layout");
  return ctx;
}
