// The parser ships no types: the shape of what it returns, as the tests read it.
declare module "parse-prometheus-text-format" {
  /** One metric family of the text exposition format. */
  interface MetricFamily {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: {
      value?: string;
      labels?: Record<string, string>;
      buckets?: Record<string, string>;
      count?: string;
      sum?: string;
    }[];
  }
  /** Parse Prometheus text exposition into metric families. */
  export default function parsePrometheusTextFormat(text: string): MetricFamily[];
}
