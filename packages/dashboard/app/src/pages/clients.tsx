// Connected clients: search, sort, look at one, kick.
import { useState } from "preact/hooks";
import { type Column, DataTable } from "../components/data-table.tsx";
import { ErrorNotice, StatusNotice } from "../components/notice.tsx";
import { useDashboard } from "../context.ts";
import { formatClock } from "../lib/format.ts";
import { useAction, usePoll } from "../lib/hooks.ts";
import type { ClientInfo } from "../lib/types.ts";

/** Rows asked for per refresh; the page says when there are more. */
const pageSize = 200;

const protocolName: Record<number, string> = { 3: "3.1", 4: "3.1.1", 5: "5.0" };

const columns: Column<ClientInfo>[] = [
  { key: "clientId", label: "Client id" },
  { key: "username", label: "User", render: (c) => c.username ?? "–" },
  { key: "address", label: "Address" },
  { key: "listener", label: "Listener" },
  {
    key: "protocolVersion",
    label: "MQTT",
    render: (c) => protocolName[c.protocolVersion] ?? c.protocolVersion,
  },
  { key: "connectedAt", label: "Connected", render: (c) => formatClock(c.connectedAt) },
  { key: "keepAlive", label: "Keep-alive (s)", numeric: true },
  { key: "subscriptions", label: "Subs", numeric: true },
  { key: "inflight", label: "In flight", numeric: true },
  { key: "queued", label: "Queued", numeric: true },
];

/** The clients page. */
export function ClientsPage() {
  const { api, role } = useDashboard();
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [confirming, setConfirming] = useState<string | undefined>(undefined);
  const clients = usePoll(() => api.clients({ limit: pageSize, search }), 2000, [search]);
  const kick = useAction();

  const doKick = async (clientId: string) => {
    setConfirming(undefined);
    if (await kick.run(() => api.kick(clientId), `Disconnected ${clientId}.`)) clients.reload();
  };

  const items = clients.data?.items ?? [];
  return (
    <section aria-labelledby="clients-title">
      <h1 id="clients-title">Clients</h1>
      <div class="toolbar">
        <label for="client-search">Search</label>
        <input
          id="client-search"
          type="search"
          placeholder="client id, user or address"
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
        <span class="muted" aria-live="polite">
          {clients.loading && clients.data === undefined ? "Loading…" : `${items.length} connected`}
          {clients.data?.nextCursor ? ` (first ${pageSize} shown)` : ""}
        </span>
      </div>
      <ErrorNotice error={clients.error ?? kick.error} />
      <StatusNotice message={kick.done} />
      <DataTable
        caption="Connected clients"
        columns={columns.map((c) =>
          c.key === "clientId"
            ? {
                ...c,
                render: (row: ClientInfo) => (
                  <button type="button" class="link" onClick={() => setSelected(row.clientId)}>
                    {row.clientId}
                  </button>
                ),
              }
            : c,
        )}
        rows={items}
        rowKey={(c) => c.clientId}
        empty={search ? "No connected client matches." : "No client is connected."}
        initialSort={{ key: "clientId", direction: "ascending" }}
        actions={
          role === "admin"
            ? (c) =>
                confirming === c.clientId ? (
                  <>
                    <button type="button" class="danger" onClick={() => doKick(c.clientId)}>
                      Confirm kick {c.clientId}
                    </button>
                    <button type="button" onClick={() => setConfirming(undefined)}>
                      Cancel
                    </button>
                  </>
                ) : (
                  <button type="button" disabled={kick.busy} onClick={() => setConfirming(c.clientId)}>
                    Kick <span class="visually-hidden">{c.clientId}</span>
                  </button>
                )
            : undefined
        }
      />
      {selected !== undefined ? (
        <ClientDetail clientId={selected} onClose={() => setSelected(undefined)} />
      ) : null}
    </section>
  );
}

function ClientDetail({ clientId, onClose }: { clientId: string; onClose: () => void }) {
  const { api } = useDashboard();
  const detail = usePoll(() => api.client(clientId), 0, [clientId]);
  return (
    <aside class="detail" aria-labelledby="client-detail-title">
      <header>
        <h2 id="client-detail-title">Client {clientId}</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </header>
      <ErrorNotice error={detail.error} />
      {detail.data ? <pre class="json">{JSON.stringify(detail.data, null, 2)}</pre> : null}
    </aside>
  );
}
