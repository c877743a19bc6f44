// Connected clients: search, sort, look at one, kick.
import { useState } from "preact/hooks";
import { type Column, DataTable } from "../components/data-table.tsx";
import { ErrorNotice, StatusNotice } from "../components/notice.tsx";
import { PagerControls } from "../components/pager.tsx";
import { useDashboard } from "../context.ts";
import { formatClock, protocolName } from "../lib/format.ts";
import { useAction, usePager, usePoll } from "../lib/hooks.ts";
import type { ClientDetail, ClientInfo } from "../lib/types.ts";

/** Rows per page. */
const pageSize = 100;

const columns: Column<ClientInfo>[] = [
  { key: "clientId", label: "Client id" },
  { key: "username", label: "User", render: (c) => c.username ?? "–" },
  { key: "address", label: "Address" },
  { key: "listener", label: "Listener" },
  {
    key: "protocolVersion",
    label: "MQTT",
    render: (c) => protocolName(c.protocolVersion),
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
  const pager = usePager();
  const clients = usePoll(() => api.clients({ limit: pageSize, search, cursor: pager.cursor }), 2000, [
    search,
    pager.cursor,
  ]);
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
          onInput={(e) => {
            setSearch(e.currentTarget.value);
            pager.reset();
          }}
        />
        <span class="muted" aria-live="polite">
          {clients.loading && clients.data === undefined
            ? "Loading…"
            : pager.page === 1 && !clients.data?.nextCursor
              ? `${items.length} connected`
              : `${items.length} on page ${pager.page}`}
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
      <PagerControls pager={pager} nextCursor={clients.data?.nextCursor} label="Clients" />
      {selected !== undefined ? (
        <ClientDetailPanel clientId={selected} onClose={() => setSelected(undefined)} />
      ) : null}
    </section>
  );
}

function ClientDetailPanel({ clientId, onClose }: { clientId: string; onClose: () => void }) {
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
      {detail.data ? <ClientFacts detail={detail.data} /> : null}
    </aside>
  );
}

/** The scalar facts of a client and its session as a description list, its subscriptions as a list. */
function ClientFacts({ detail }: { detail: ClientDetail }) {
  const { session, subscriptions, ...client } = detail;
  const facts = [
    ...Object.entries(client),
    ...Object.entries(session ?? {}).map(([k, v]) => [`session ${k}`, v] as const),
  ]
    .filter(([, v]) => v === null || typeof v !== "object")
    .map(([k, v]) => [k, v === null || v === undefined ? "–" : String(v)] as const);
  return (
    <>
      <dl class="facts">
        {facts.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {Array.isArray(subscriptions) ? (
        <>
          <h3>Subscriptions</h3>
          {subscriptions.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <ul>
              {subscriptions.map((s) => (
                <li key={`${s.shareGroup ?? ""}/${s.filter}`}>
                  <code>{s.shareGroup ? `$share/${s.shareGroup}/${s.filter}` : s.filter}</code> QoS {s.qos}
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}
    </>
  );
}
