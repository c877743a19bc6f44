// Subscriptions of every client, filtered; admins add or remove one for a client id.
import { useState } from "preact/hooks";
import { DataTable } from "../components/data-table.tsx";
import { ErrorNotice, StatusNotice } from "../components/notice.tsx";
import { PagerControls } from "../components/pager.tsx";
import { useDashboard } from "../context.ts";
import { useAction, usePager, usePoll } from "../lib/hooks.ts";
import type { SubscriptionInfo } from "../lib/types.ts";

/** The subscriptions page. */
export function SubscriptionsPage() {
  const { api, role } = useDashboard();
  const [clientId, setClientId] = useState("");
  const [filter, setFilter] = useState("");
  const pager = usePager();
  const subs = usePoll(
    () => api.subscriptions({ clientId, filter, limit: 100, cursor: pager.cursor }),
    3000,
    [clientId, filter, pager.cursor],
  );
  const change = useAction();
  const rows = subs.data?.items ?? [];
  return (
    <section aria-labelledby="subscriptions-title">
      <h1 id="subscriptions-title">Subscriptions</h1>
      <div class="toolbar">
        <label for="subs-client">Client id</label>
        <input
          id="subs-client"
          value={clientId}
          onInput={(e) => {
            setClientId(e.currentTarget.value);
            pager.reset();
          }}
        />
        <label for="subs-filter">Topic filter</label>
        <input
          id="subs-filter"
          value={filter}
          onInput={(e) => {
            setFilter(e.currentTarget.value);
            pager.reset();
          }}
        />
      </div>
      <ErrorNotice error={subs.error ?? change.error} />
      <StatusNotice message={change.done} />
      <DataTable<SubscriptionInfo>
        caption="Subscriptions"
        columns={[
          { key: "clientId", label: "Client id" },
          { key: "filter", label: "Filter" },
          { key: "qos", label: "QoS", numeric: true },
          { key: "shareGroup", label: "Share group", render: (s) => s.shareGroup ?? "–" },
          { key: "noLocal", label: "No local", render: (s) => (s.noLocal ? "yes" : "no") },
          {
            key: "retainAsPublished",
            label: "Retain as published",
            render: (s) => (s.retainAsPublished ? "yes" : "no"),
          },
          { key: "retainHandling", label: "Retain handling", numeric: true },
        ]}
        rows={rows}
        rowKey={(s) => `${s.clientId}\u0000${s.shareGroup ?? ""}\u0000${s.filter}`}
        empty="No subscription."
        initialSort={{ key: "clientId", direction: "ascending" }}
        actions={
          role === "admin"
            ? (s) => (
                <button
                  type="button"
                  class="danger"
                  disabled={change.busy}
                  onClick={async () => {
                    const full = s.shareGroup ? `$share/${s.shareGroup}/${s.filter}` : s.filter;
                    if (
                      await change.run(
                        () => api.removeSubscription(s.clientId, full),
                        `Removed ${full} of ${s.clientId}.`,
                      )
                    )
                      subs.reload();
                  }}
                >
                  Remove <span class="visually-hidden">{`${s.filter} of ${s.clientId}`}</span>
                </button>
              )
            : undefined
        }
      />
      <PagerControls pager={pager} nextCursor={subs.data?.nextCursor} label="Subscriptions" />
      {role === "admin" ? <AddSubscription onAdded={subs.reload} /> : null}
    </section>
  );
}

function AddSubscription({ onAdded }: { onAdded: () => void }) {
  const { api } = useDashboard();
  const [clientId, setClientId] = useState("");
  const [filter, setFilter] = useState("");
  const [qos, setQos] = useState<0 | 1 | 2>(0);
  const add = useAction();
  return (
    <form
      class="card form-grid"
      aria-labelledby="add-sub-title"
      onSubmit={async (e) => {
        e.preventDefault();
        if (
          await add.run(
            () => api.addSubscription(clientId, filter, qos),
            `Subscribed ${clientId} to ${filter}.`,
          )
        )
          onAdded();
      }}
    >
      <h2 id="add-sub-title">Add a subscription</h2>
      <p class="muted">
        A client id without a session gets an offline session, as aMQTT's add_subscription does.
      </p>
      <label for="add-sub-client">Client id</label>
      <input
        id="add-sub-client"
        required
        value={clientId}
        onInput={(e) => setClientId(e.currentTarget.value)}
      />
      <label for="add-sub-filter">Topic filter</label>
      <input id="add-sub-filter" required value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      <label for="add-sub-qos">QoS</label>
      <select
        id="add-sub-qos"
        value={qos}
        onChange={(e) => setQos(Number(e.currentTarget.value) as 0 | 1 | 2)}
      >
        <option value="0">0</option>
        <option value="1">1</option>
        <option value="2">2</option>
      </select>
      <button type="submit" disabled={add.busy}>
        Add
      </button>
      <ErrorNotice error={add.error} />
      <StatusNotice message={add.done} />
    </form>
  );
}
