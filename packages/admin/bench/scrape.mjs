// Scrape `url` every `intervalMs` (as Prometheus would, one request at a time)
// until SIGTERM, then print how many scrapes succeeded, their bytes and their
// median duration. Usage: node scrape.mjs URL [intervalMs]
const [url, interval = "1000"] = process.argv.slice(2);
const intervalMs = Number(interval);
const durations = [];
let bytes = 0;
let failures = 0;
let stopped = false;

async function loop() {
  while (!stopped) {
    const t0 = performance.now();
    try {
      const res = await fetch(url);
      const text = await res.text();
      if (res.status !== 200 || !text.includes("amqtt_connections_total")) failures++;
      else {
        bytes += text.length;
        durations.push(performance.now() - t0);
      }
    } catch {
      failures++;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (performance.now() - t0))));
  }
}

process.once("SIGTERM", () => {
  stopped = true;
  const sorted = [...durations].sort((a, b) => a - b);
  const median = sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)];
  console.log(
    `scrapes=${durations.length} failures=${failures} bytes_per_scrape=${durations.length === 0 ? 0 : Math.round(bytes / durations.length)} median_ms=${median.toFixed(1)}`,
  );
  process.exit(0);
});
void loop();
