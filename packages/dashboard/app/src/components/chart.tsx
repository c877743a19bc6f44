// A uPlot time-series chart that follows its container's width and the colour scheme.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** One line of a {@link TimeChart}. */
export interface ChartSeries {
  label: string;
  color: string;
}

/** Props of {@link TimeChart}. */
export interface TimeChartProps {
  title: string;
  series: readonly ChartSeries[];
  /** uPlot columns: epoch seconds, then one column per series. */
  data: [number[], ...number[][]];
  /** Formats a y value (axis ticks and the legend). */
  format: (value: number) => string;
  height?: number;
}

function options(props: TimeChartProps, width: number): uPlot.Options {
  const axisColor = getComputedStyle(document.documentElement).getPropertyValue("--muted").trim() || "#666";
  const gridColor = getComputedStyle(document.documentElement).getPropertyValue("--grid").trim() || "#ddd";
  const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } };
  return {
    width,
    height: props.height ?? 180,
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true },
      y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
    },
    axes: [axis, { ...axis, size: 70, values: (_u, ticks) => ticks.map((v) => props.format(v)) }],
    series: [
      {},
      ...props.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 2,
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v === null ? "–" : props.format(v)),
      })),
    ],
  };
}

/** A line chart over time; redrawn in place when `data` changes. */
export function TimeChart(props: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const propsRef = useRef(props);
  propsRef.current = props;

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const chart = new uPlot(options(propsRef.current, el.clientWidth || 400), propsRef.current.data, el);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: el.clientWidth, height: chart.height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.data]);

  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} role="img" aria-label={`${props.title}, chart over time`} />
    </figure>
  );
}
