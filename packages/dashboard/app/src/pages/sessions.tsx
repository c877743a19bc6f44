// Sessions, online and offline; an offline one can be deleted.
import { useState } from "preact/hooks";
import { DataTable } from "../components/data-table.tsx";
import { ErrorNotice, StatusNotice } from "../components/notice.tsx";
import { PagerControls } from "../components/pager.tsx";
import { useDashboard } from "../context.ts";
import { useAction, usePager, usePoll } from "../lib/hooks.ts";
import type { SessionInfo } from "../lib/types.ts";

type StateFilter = "" | "online" | "offline";

/** A session row as the table shows it: the state spelled out, the rest as the API gives it. */
interface SessionRow {
  clientId: string;
  state: string;
  details: string;
}

function toRow(s: SessionInfo): SessionRow {
  const { clientId, state, online, ...rest } = s;
  const resolved = state ?? (online === true ? "online" : online === false ? "offline" : "–");
  const details = Object.entries(rest)
    .filter(([, v]) => typeof v !== "object" || v === null)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(", ");
  return { clientId, state: resolved, details };
}

/** The sessions page. */
export function SessionsPage() {
  const { api, role } = useDashboard();
  const [state, setState] = useState<StateFilter>("");
  const pager = usePager();
  const sessions = usePoll(
    () => api.sessions({ limit: 100, state: state || undefined, cursor: pager.cursor }),
    3000,
    [state, pager.cursor],
  );
  const remove = useAction();
  const rows = (sessions.data?.items ?? []).map(toRow);
  return (
    <section aria-labelledby="sessions-title">
      <h1 id="sessions-title">Sessions</h1>
      <div class="toolbar">
        <label for="session-state">State</label>
        <select
          id="session-state"
          value={state}
          onChange={(e) => {
            setState(e.currentTarget.value as StateFilter);
            pager.reset();
          }}
        >
          <option value="">all</option>
          <option value="online">online</option>
          <option value="offline">offline</option>
        </select>
      </div>
      <ErrorNotice error={sessions.error ?? remove.error} />
      <StatusNotice message={remove.done} />
      <DataTable
        caption="Sessions"
        columns={[
          { key: "clientId", label: "Client id" },
          { key: "state", label: "State" },
          { key: "details", label: "Details", sortable: false },
        ]}
        rows={rows}
        rowKey={(r) => r.clientId}
        empty="No session."
        initialSort={{ key: "clientId", direction: "ascending" }}
        actions={
          role === "admin"
            ? (r) =>
                r.state === "offline" ? (
                  <button
                    type="button"
                    class="danger"
                    disabled={remove.busy}
                    onClick={async () => {
                      if (
                        await remove.run(
                          () => api.deleteSession(r.clientId),
                          `Deleted the session of ${r.clientId}.`,
                        )
                      )
                        sessions.reload();
                    }}
                  >
                    Delete <span class="visually-hidden">session {r.clientId}</span>
                  </button>
                ) : null
            : undefined
        }
      />
      <PagerControls pager={pager} nextCursor={sessions.data?.nextCursor} label="Sessions" />
    </section>
  );
}
