// The overview: broker facts, current counters, and live charts over the last minutes.
import { useMemo, useRef, useState } from "preact/hooks";
import { type ChartSeries, TimeChart } from "../components/chart.tsx";
import { ErrorNotice } from "../components/notice.tsx";
import { useDashboard } from "../context.ts";
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatMillis,
  formatPercent,
  formatRate,
} from "../lib/format.ts";
import { useColorScheme, usePoll } from "../lib/hooks.ts";
import { type SampleField, SeriesRing } from "../lib/series.ts";

/** How often the page asks for new samples. */
const pollMs = 2000;

const windows = [
  { minutes: 1, label: "1 min" },
  { minutes: 5, label: "5 min" },
  { minutes: 10, label: "10 min" },
];

interface ChartSpec {
  title: string;
  fields: SampleField[];
  series: ChartSeries[];
  format: (v: number) => string;
}

const charts: ChartSpec[] = [
  {
    title: "Connections",
    fields: ["connections"],
    series: [{ label: "connections", color: "var(--c1)" }],
    format: formatCount,
  },
  {
    title: "Messages per second",
    fields: ["messagesIn", "messagesOut"],
    series: [
      { label: "in", color: "var(--c1)" },
      { label: "out", color: "var(--c2)" },
    ],
    format: (v) => formatRate(v),
  },
  {
    title: "Bytes per second",
    fields: ["bytesIn", "bytesOut"],
    series: [
      { label: "in", color: "var(--c1)" },
      { label: "out", color: "var(--c2)" },
    ],
    format: (v) => formatRate(v, "bytes"),
  },
  {
    title: "Dropped messages per second",
    fields: ["dropped"],
    series: [{ label: "dropped", color: "var(--c3)" }],
    format: (v) => formatRate(v),
  },
  {
    title: "Memory",
    fields: ["rss", "heapUsed"],
    series: [
      { label: "RSS", color: "var(--c1)" },
      { label: "heap used", color: "var(--c2)" },
    ],
    format: formatBytes,
  },
  {
    title: "CPU",
    fields: ["cpuPercent"],
    series: [{ label: "CPU", color: "var(--c4)" }],
    format: formatPercent,
  },
  {
    title: "Event-loop lag",
    fields: ["eventLoopLagMs"],
    series: [{ label: "lag", color: "var(--c3)" }],
    format: formatMillis,
  },
];

/** The overview page. */
export function OverviewPage() {
  const { api } = useDashboard();
  const ring = useRef(new SeriesRing());
  const [minutes, setMinutes] = useState(5);
  // Canvas colours are read once per chart: a new scheme mounts new charts.
  const scheme = useColorScheme();
  const broker = usePoll(() => api.broker(), 10_000, []);
  const stats = usePoll(() => api.stats(), pollMs, []);
  // Each poll returns the server's whole ring; the local ring keeps only what is new.
  const history = usePoll(
    async () => {
      const h = await api.statsHistory();
      ring.current.merge(h.samples);
      return ring.current.newest?.t ?? 0;
    },
    pollMs,
    [],
  );
  const newest = history.data;
  const columns = useMemo(() => {
    const since = (newest ?? Date.now()) - minutes * 60_000;
    return charts.map((c) => ring.current.columns(c.fields, since));
  }, [newest, minutes]);

  const s = stats.data;
  const b = broker.data;
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <ErrorNotice error={broker.error ?? stats.error ?? history.error} />
      {b ? (
        <p class="muted">
          amqtt {b.version} · node {b.nodeId} · up {formatDuration(b.uptimeSeconds)}
        </p>
      ) : null}
      <dl class="tiles" aria-label="Current figures">
        <Tile label="Connections" value={s ? formatCount(s.connections.current) : "…"} />
        <Tile label="Connections in all" value={s ? formatCount(s.connections.total) : "…"} />
        <Tile label="Messages in" value={s ? formatCount(s.messages.in) : "…"} />
        <Tile label="Messages out" value={s ? formatCount(s.messages.out) : "…"} />
        <Tile label="Dropped" value={s ? formatCount(s.messages.dropped) : "…"} />
        <Tile label="Subscriptions" value={s ? formatCount(s.subscriptions) : "…"} />
        <Tile
          label="Retained"
          value={s ? `${formatCount(s.retained.count)} (${formatBytes(s.retained.bytes)})` : "…"}
        />
        <Tile
          label="Sessions"
          value={s ? `${s.sessions.online} online, ${s.sessions.offline} offline` : "…"}
        />
        <Tile label="Memory (RSS)" value={s ? formatBytes(s.memory.rss) : "…"} />
        <Tile label="Event-loop lag" value={s ? formatMillis(s.eventLoopLagMs) : "…"} />
      </dl>
      <fieldset class="window">
        <legend>Chart window</legend>
        {windows.map((w) => (
          <label key={w.minutes}>
            <input
              type="radio"
              name="window"
              value={w.minutes}
              checked={minutes === w.minutes}
              onChange={() => setMinutes(w.minutes)}
            />
            {w.label}
          </label>
        ))}
      </fieldset>
      <div class="charts">
        {charts.map((c, i) => (
          <TimeChart
            key={`${c.title}/${scheme}`}
            title={c.title}
            series={c.series.map((x) => ({ ...x, color: cssColor(x.color) }))}
            data={columns[i] ?? [[]]}
            format={c.format}
          />
        ))}
      </div>
    </section>
  );
}

function Tile({ label, value }: { label: string; value: string }) {
  return (
    <div class="tile">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** uPlot draws on a canvas, which takes no CSS variables: resolve `var(--x)` to its value. */
function cssColor(value: string): string {
  const m = /^var\((--[\w-]+)\)$/.exec(value);
  if (m?.[1] === undefined) return value;
  return getComputedStyle(document.documentElement).getPropertyValue(m[1]).trim() || "#888";
}
