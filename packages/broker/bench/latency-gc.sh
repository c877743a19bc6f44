#!/usr/bin/env bash
# What the garbage collector does while the broker serves 1000 msg/s (issue 19's
# tail): one broker with `--trace-gc-nvp`, pinned to core 0, optionally loaded
# first by other scenarios (BEFORE, e.g. "fanin-q0 fanout-q1", as `pnpm bench` runs
# them on one long-running broker), then `mqtt-load latency` on core 1; prints the
# latency percentiles and every GC of the latency run (kind, pause, heap after,
# bytes promoted) and the bytes allocated per message (V8's `allocated` between GCs).
#   bash packages/broker/bench/latency-gc.sh            # QOS [1] RATE [1000] DURATION [10] BEFORE [""]
# Run it under `flock /tmp/bench.lock` on a shared machine.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/tooling/bench}
BIN=${AMQTT_BIN:-$ROOT/packages/cli/dist/bin.js}
QOS=${QOS:-1}
RATE=${RATE:-1000}
DURATION=${DURATION:-10}
BEFORE=${BEFORE:-}
PORT=18854
make -s -C "$BENCH" OUT="$BENCH" "$BENCH/mqtt-load" >/dev/null
GEN=$BENCH/mqtt-load
OUT=$(mktemp -d "${TMPDIR:-/tmp}/latency-gc-XXXX")
sed "s/127.0.0.1:18850/127.0.0.1:$PORT/" "$HERE/bench-broker.yaml" >"$OUT/broker.yaml"
# shellcheck disable=SC2086 # the flags are words
taskset -c 0 node ${OURS_NODE_FLAGS---max-semi-space-size=4} --trace-gc-nvp "$BIN" -c "$OUT/broker.yaml" >"$OUT/gc.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
for _ in $(seq 100); do
  ss -ltnH "sport = :$PORT" | grep -q . && break
  sleep 0.2
done
for sc in $BEFORE; do
  case $sc in
  fanin-q0) args="fanin -q 0 -P 4" ;;
  fanin-q1) args="fanin -q 1 -P 4 -w 64" ;;
  fanout-q0) args="fanout -q 0 -S 8" ;;
  fanout-q1) args="fanout -q 1 -S 8 -w 64" ;;
  *) echo "unknown scenario $sc" >&2 && exit 2 ;;
  esac
  # shellcheck disable=SC2086
  taskset -c 1 "$GEN" $args -m 64 -d 5 -W 1 127.0.0.1 "$PORT" >/dev/null 2>&1
done
sleep 2
# The GC log's times are ms since the broker started: the latency run starts after this line.
from=$(tail -1 "$OUT/gc.log" | awk '{print $2 + 0}')
taskset -c 1 "$GEN" latency -q "$QOS" -r "$RATE" -m 64 -d "$DURATION" -W 1 127.0.0.1 "$PORT" -B "$PID" 2>/dev/null |
  tr ' ' '\n' | grep -E '^(lat_p50_us|lat_p99_us|lat_p999_us|lat_max_us|broker_cpu_pct)='
echo "GCs of the latency run (gc=s scavenge, gc=mc mark-compact; pause ms, heap after, promoted bytes):"
awk -v from="${from:-0}" -v rate="$RATE" '$2 + 0 > from {
  kind = ""; pause = ""; after = ""; promoted = ""
  for (i = 1; i <= NF; i++) {
    split($i, kv, "=")
    if (kv[1] == "gc") kind = kv[2]
    else if (kv[1] == "pause") pause = kv[2]
    else if (kv[1] == "total_size_after") after = sprintf("%.1f MB", kv[2] / 1048576)
    else if (kv[1] == "promoted" && promoted == "") promoted = kv[2]
  }
  if (kind != "") { n[kind]++; printf "  %s ms gc=%s pause=%s heap_after=%s promoted=%s\n", $2, kind, pause, after, promoted }
  # `allocated` is what V8 allocated since the GC before: summed from the second GC of
  # the window on, over the time since the first, it is the allocation rate.
  if (kind != "") {
    if (first == "") first = $2 + 0
    else { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "allocated") bytes += kv[2] } last = $2 + 0 }
  }
} END {
  for (k in n) printf "  %d x gc=%s\n", n[k], k
  if (last > first) printf "allocated: %.0f bytes per message (%.1f MB over %.1f s at %d msg/s)\n", bytes / ((last - first) / 1000 * rate), bytes / 1048576, (last - first) / 1000, rate
}' "$OUT/gc.log"
echo "full log: $OUT/gc.log"
