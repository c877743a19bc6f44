// The retained-message browser: list by topic filter, view one, delete.
import { useState } from "preact/hooks";
import { DataTable } from "../components/data-table.tsx";
import { ErrorNotice, StatusNotice } from "../components/notice.tsx";
import { PagerControls } from "../components/pager.tsx";
import { useDashboard } from "../context.ts";
import { formatBytes, formatPayload } from "../lib/format.ts";
import { useAction, usePager, usePoll } from "../lib/hooks.ts";
import type { RetainedInfo } from "../lib/types.ts";

/** The retained-messages page. */
export function RetainedPage() {
  const { api, role } = useDashboard();
  const [draft, setDraft] = useState("#");
  const [filter, setFilter] = useState("#");
  const [viewing, setViewing] = useState<string | undefined>(undefined);
  const pager = usePager();
  const list = usePoll(() => api.retained({ filter, limit: 100, cursor: pager.cursor }), 5000, [
    filter,
    pager.cursor,
  ]);
  const remove = useAction();
  const rows = list.data?.items ?? [];
  return (
    <section aria-labelledby="retained-title">
      <h1 id="retained-title">Retained messages</h1>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft.trim() || "#");
          pager.reset();
        }}
      >
        <label for="retained-filter">Topic filter</label>
        <input id="retained-filter" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        <button type="submit">Filter</button>
        <span class="muted">{`${rows.length} shown`}</span>
      </form>
      <ErrorNotice error={list.error ?? remove.error} />
      <StatusNotice message={remove.done} />
      <DataTable<RetainedInfo>
        caption={`Retained messages matching ${filter}`}
        columns={[
          {
            key: "topic",
            label: "Topic",
            render: (r) => (
              <button type="button" class="link" onClick={() => setViewing(r.topic)}>
                {r.topic}
              </button>
            ),
          },
          { key: "qos", label: "QoS", numeric: true },
          { key: "payloadSize", label: "Size", numeric: true, render: (r) => formatBytes(r.payloadSize) },
          {
            key: "payload",
            label: "Payload",
            sortable: false,
            render: (r) => <code>{formatPayload(r.payload, r.encoding, 80)}</code>,
          },
        ]}
        rows={rows}
        rowKey={(r) => r.topic}
        empty="No retained message matches."
        initialSort={{ key: "topic", direction: "ascending" }}
        actions={
          role === "admin"
            ? (r) => (
                <button
                  type="button"
                  class="danger"
                  disabled={remove.busy}
                  onClick={async () => {
                    if (
                      await remove.run(
                        () => api.deleteRetained(r.topic),
                        `Deleted the retained message on ${r.topic}.`,
                      )
                    ) {
                      if (viewing === r.topic) setViewing(undefined);
                      list.reload();
                    }
                  }}
                >
                  Delete <span class="visually-hidden">{r.topic}</span>
                </button>
              )
            : undefined
        }
      />
      <PagerControls pager={pager} nextCursor={list.data?.nextCursor} label="Retained messages" />
      {viewing !== undefined ? <RetainedView topic={viewing} onClose={() => setViewing(undefined)} /> : null}
    </section>
  );
}

function RetainedView({ topic, onClose }: { topic: string; onClose: () => void }) {
  const { api } = useDashboard();
  const message = usePoll(() => api.retainedMessage(topic), 0, [topic]);
  const m = message.data;
  return (
    <aside class="detail" aria-labelledby="retained-view-title">
      <header>
        <h2 id="retained-view-title">{topic}</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </header>
      <ErrorNotice error={message.error} />
      {m ? (
        <>
          <p class="muted">
            QoS {m.qos} · {formatBytes(m.payloadSize)} ·{" "}
            {m.encoding === "base64" ? "binary (base64)" : "UTF-8 text"}
          </p>
          <pre class="payload">{formatPayload(m.payload, m.encoding, 100_000)}</pre>
          {m.properties ? <pre class="json">{JSON.stringify(m.properties, null, 2)}</pre> : null}
        </>
      ) : null}
    </aside>
  );
}
