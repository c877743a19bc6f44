#!/usr/bin/env bash
# `pnpm --filter @amqtt/admin bench`: what the admin listener and a Prometheus
# scrape every second cost the broker. Two instances of the built amqtt binary,
# same configuration as the broker benchmark (packages/broker/bench/bench-broker.yaml):
#   plain    - no admin listener (the named peer, base of the ratio column)
#   scraped  - the admin listener, /metrics scraped every second by bench/scrape.mjs
# run through tooling/bench/compare.sh, interleaved, ROUNDS rounds; the table's
# ratio column reads scraped/plain. Knobs are compare.sh's, e.g.
#   ROUNDS=3 SCENARIOS="fanin-q0 fanout-q1 latency-q1" pnpm --filter @amqtt/admin bench
# Everything listens on 127.0.0.1; both brokers and the scraper are stopped by PID at exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/tooling/bench}
export SCENARIOS=${SCENARIOS:-"fanin-q0 fanin-q1 fanout-q0 fanout-q1 latency-q1"}
[ -f "$ROOT/packages/cli/dist/bin.js" ] || (cd "$ROOT" && pnpm --filter "@amqtt/cli..." build >/dev/null)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/amqtt-admin-bench-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
PLAIN=$(free_port); SCRAPED=$(free_port); ADMIN=$(free_port)
base() {
  sed -e "s/127.0.0.1:18850/127.0.0.1:$1/" "$ROOT/packages/broker/bench/bench-broker.yaml"
}
base "$PLAIN" >"$WORK/plain.yaml"
base "$SCRAPED" | sed -e "s|^    bind: 127.0.0.1:$SCRAPED|&\n  admin:\n    type: http\n    bind: 127.0.0.1:$ADMIN|" >"$WORK/scraped.yaml"
# A public /metrics: the scrape then costs what Prometheus costs, not a password check.
printf 'admin:\n  metrics_public: true\n' >>"$WORK/scraped.yaml"
NODE_FLAGS=${OURS_NODE_FLAGS---max-semi-space-size=4}
node $NODE_FLAGS "$ROOT/packages/cli/dist/bin.js" -c "$WORK/plain.yaml" --memory >"$WORK/plain.log" 2>&1 &
pids+=($!); PLAIN_PID=$!
node $NODE_FLAGS "$ROOT/packages/cli/dist/bin.js" -c "$WORK/scraped.yaml" --memory >"$WORK/scraped.log" 2>&1 &
pids+=($!); SCRAPED_PID=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$ADMIN/healthz" >/dev/null 2>&1 && (echo >"/dev/tcp/127.0.0.1/$PLAIN") 2>/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$ADMIN/metrics" | grep -q amqtt_connections_total || { echo "the scraped broker does not serve /metrics" >&2; cat "$WORK/scraped.log" >&2; exit 1; }
node "$HERE/scrape.mjs" "http://127.0.0.1:$ADMIN/metrics" 1000 >"$WORK/scrape.out" &
SCRAPER=$!; pids+=($SCRAPER)
echo "## the broker with and without the admin listener and a /metrics scrape every second"
echo "## (ratio column: scraped/plain; scenarios: $SCENARIOS)"
bash "$BENCH/compare.sh" plain="$PLAIN:$PLAIN_PID" scraped="$SCRAPED:$SCRAPED_PID"
kill -TERM "$SCRAPER"; wait "$SCRAPER" 2>/dev/null || true
echo
echo "scraper: $(cat "$WORK/scrape.out")"
