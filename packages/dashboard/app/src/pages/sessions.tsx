// Sessions, online and offline; an offline one can be deleted.
import { useState } from "preact/hooks";
import { DataTable } from "../components/data-table.tsx";
import { ErrorNotice, StatusNotice } from "../components/notice.tsx";
import { PagerControls } from "../components/pager.tsx";
import { useDashboard } from "../context.ts";
import { formatDuration, protocolName } from "../lib/format.ts";
import { useAction, usePager, usePoll } from "../lib/hooks.ts";
import type { SessionInfo } from "../lib/types.ts";

type StateFilter = "" | "online" | "offline";

/** MQTT 5.0's "never expires" Session Expiry Interval. */
const neverExpires = 0xffff_ffff;

function expiry(s: SessionInfo): string {
  if (s.expiryInterval >= neverExpires) return "never";
  if (s.expiryInterval === 0) return "on disconnect";
  return formatDuration(s.expiryInterval);
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
  const rows = sessions.data?.items ?? [];
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
      <DataTable<SessionInfo>
        caption="Sessions"
        columns={[
          { key: "clientId", label: "Client id" },
          { key: "online", label: "State", render: (s) => (s.online ? "online" : "offline") },
          { key: "username", label: "User", render: (s) => s.username ?? "–" },
          { key: "protocolVersion", label: "MQTT", render: (s) => protocolName(s.protocolVersion) },
          { key: "expiryInterval", label: "Expires", render: expiry },
          { key: "subscriptions", label: "Subs", numeric: true },
          { key: "queued", label: "Queued", numeric: true },
          { key: "inflight", label: "In flight", numeric: true },
          { key: "address", label: "Address", render: (s) => s.address ?? "–" },
        ]}
        rows={rows}
        rowKey={(r) => r.clientId}
        empty="No session."
        initialSort={{ key: "clientId", direction: "ascending" }}
        actions={
          role === "admin"
            ? (r) =>
                r.online ? null : (
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
                )
            : undefined
        }
      />
      <PagerControls pager={pager} nextCursor={sessions.data?.nextCursor} label="Sessions" />
    </section>
  );
}
