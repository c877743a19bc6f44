#!/usr/bin/env bash
# Node's floor for the relay rows of issue 19 in one run: Mosquitto first (the ratio
# columns read X/mosquitto), this build's broker (bench-broker.yaml, the amqtt binary's
# node flags) and a bare Node relay (relay-floor-server.mjs: CONNECT/SUBSCRIBE answered
# with fixed bytes, PUBLISH split from the stream and forwarded, QoS 1 PUBACKed and
# re-numbered, nothing else), all long-running, interleaved by the shared harness
# (tooling/bench/compare.sh: broker pinned to core 0, generator to core 1) with its
# own scenarios unchanged: latency-q0 and latency-q1 (1000 msg/s: broker CPU %, p99,
# p99.9) and fanin-q0 (msg/s, peak RSS: VmHWM reset before each run).
#   flock /tmp/bench.lock pnpm --filter @amqtt/broker bench:relay-floor
# Knobs: compare.sh's (ROUNDS [3], SCENARIOS [latency-q0 latency-q1 fanin-q0], ...),
# NODE_FLAGS [--max-semi-space-size=4] for both Node processes, AMQTT_BIN, OUT.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/tooling/bench}
BIN=${AMQTT_BIN:-$ROOT/packages/cli/dist/bin.js}
NODE_FLAGS=${NODE_FLAGS---max-semi-space-size=4}
OUT=${OUT:-${TMPDIR:-/tmp}/bench-relay-floor}
# Ports of their own: other benches of the shared harness keep 18840-18856.
MOSQ_PORT=18857
OURS_PORT=18858
FLOOR_PORT=18859
mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)"
[ -f "$BIN" ] || (cd "$ROOT" && pnpm --filter @amqtt/cli... build >/dev/null)
sed "s/127.0.0.1:18850/127.0.0.1:$OURS_PORT/" "$HERE/bench-broker.yaml" >"$OUT/broker.yaml"
sed "s/^listener .*/listener $MOSQ_PORT 127.0.0.1/" "$BENCH/mosquitto.conf" >"$OUT/mosquitto.conf"
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
"$MOSQUITTO" -c "$OUT/mosquitto.conf" >"$OUT/mosquitto.log" 2>&1 &
MOSQ=$!
PIDS+=("$MOSQ")
# shellcheck disable=SC2086 # the flags are words
node $NODE_FLAGS "$BIN" -c "$OUT/broker.yaml" >"$OUT/ours.log" 2>&1 &
OURS=$!
PIDS+=("$OURS")
# shellcheck disable=SC2086
node $NODE_FLAGS "$HERE/relay-floor-server.mjs" "$FLOOR_PORT" >"$OUT/node-floor.log" 2>&1 &
FLOOR=$!
PIDS+=("$FLOOR")
for port in $MOSQ_PORT $OURS_PORT $FLOOR_PORT; do
  for _ in $(seq 100); do
    ss -ltnH "sport = :$port" | grep -q . && break
    sleep 0.2
  done
done
kill -0 "$MOSQ" && kill -0 "$OURS" && kill -0 "$FLOOR"
echo "# relay-floor $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
SCENARIOS="${SCENARIOS:-latency-q0 latency-q1 fanin-q0}" OUT="$OUT" \
  bash "$BENCH/compare.sh" "mosquitto=$MOSQ_PORT:$MOSQ" "ours=$OURS_PORT:$OURS" "node-floor=$FLOOR_PORT:$FLOOR"
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
