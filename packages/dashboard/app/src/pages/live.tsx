// The live topic viewer: subscribe to a filter over the admin's WebSocket and watch.
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorNotice } from "../components/notice.tsx";
import { useDashboard } from "../context.ts";
import { formatClock, formatPayload } from "../lib/format.ts";
import { LiveFeed, parseLiveFrame } from "../lib/live.ts";

type ConnectionState = "idle" | "connecting" | "open" | "closed";

/** The live topic viewer page. */
export function LivePage() {
  const { api } = useDashboard();
  const [draft, setDraft] = useState("#");
  const [filter, setFilter] = useState<string | undefined>(undefined);
  const [state, setState] = useState<ConnectionState>("idle");
  const [error, setError] = useState<unknown>(undefined);
  const [paused, setPaused] = useState(false);
  const feed = useRef(new LiveFeed());
  const [, setVersion] = useState(0);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    if (filter === undefined) return;
    feed.current.clear();
    setVersion((v) => v + 1);
    setError(undefined);
    setState("connecting");
    const socket = new WebSocket(api.liveUrl(filter));
    // Redraw at most every 100 ms however fast messages come.
    let dirty = false;
    const redraw = setInterval(() => {
      if (dirty && !pausedRef.current) {
        dirty = false;
        setVersion((v) => v + 1);
      }
    }, 100);
    socket.onopen = () => setState("open");
    socket.onmessage = (event) => {
      if (typeof event.data !== "string") return;
      try {
        feed.current.apply(parseLiveFrame(event.data));
        dirty = true;
      } catch (err) {
        setError(err);
      }
    };
    socket.onerror = () => setError(new Error(`the live connection for ${filter} failed`));
    socket.onclose = (event) => {
      setState("closed");
      if (event.code !== 1000 && event.reason) setError(new Error(`live connection closed: ${event.reason}`));
    };
    return () => {
      clearInterval(redraw);
      socket.onclose = null;
      socket.close(1000);
    };
  }, [filter, api]);

  const f = feed.current;
  return (
    <section aria-labelledby="live-title">
      <h1 id="live-title">Live topics</h1>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft.trim() || "#");
        }}
      >
        <label for="live-filter">Topic filter</label>
        <input id="live-filter" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        <button type="submit">{filter === undefined ? "Subscribe" : "Resubscribe"}</button>
        <button type="button" disabled={filter === undefined} onClick={() => setFilter(undefined)}>
          Stop
        </button>
        <button type="button" aria-pressed={paused} onClick={() => setPaused((p) => !p)}>
          {paused ? "Resume" : "Pause"}
        </button>
        <button
          type="button"
          onClick={() => {
            f.clear();
            setVersion((v) => v + 1);
          }}
        >
          Clear
        </button>
      </form>
      <p class="muted" role="status">
        {filter === undefined ? "Not subscribed." : `${state === "open" ? "Watching" : state} ${filter}`}
        {` · ${f.received} received`}
        {f.evicted > 0 ? ` · ${f.evicted} older ones no longer shown (keeps ${f.capacity})` : ""}
        {f.serverDropped > 0 ? ` · ${f.serverDropped} dropped by the server (viewer too slow)` : ""}
      </p>
      <ErrorNotice error={error} />
      <div class="table-wrap">
        <table class="live">
          <caption>Messages, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Topic</th>
              <th scope="col" class="num">
                QoS
              </th>
              <th scope="col">Retain</th>
              <th scope="col">Payload</th>
            </tr>
          </thead>
          <tbody>
            {f.messages.length === 0 ? (
              <tr>
                <td colSpan={5} class="empty">
                  No message yet.
                </td>
              </tr>
            ) : (
              f.messages.map((m) => (
                <tr key={m.seq}>
                  <td>{formatClock(m.time)}</td>
                  <th scope="row">{m.topic}</th>
                  <td class="num">{m.qos}</td>
                  <td>{m.retain ? "yes" : ""}</td>
                  <td>
                    <code>{formatPayload(m.payload, m.encoding, 300)}</code>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
