#!/usr/bin/env bash
# CONNACKs/s and CPU per connection (user + system, from /proc) in the
# `mqtt-load connections` scenario for three servers, interleaved, ROUNDS rounds:
# this build's broker (bench-broker.yaml), a bare Node server that answers
# CONNECT and SUBSCRIBE with fixed bytes (connect-floor-server.mjs: Node's net
# floor), and Mosquitto. Each server pinned to core 0, the generator to core 1.
#   flock /tmp/bench.lock bash packages/broker/bench/connect-floor.sh
# Knobs: ROUNDS [3], N [5000] connections.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/tooling/bench}
OUT=${OUT:-${TMPDIR:-/tmp}/bench-connect-floor}
ROUNDS=${ROUNDS:-3}
N=${N:-5000}
PORT=18856
mkdir -p "$OUT"
make -s -C "$BENCH" OUT="$BENCH" "$BENCH/mqtt-load" >/dev/null
[ -f "$ROOT/packages/cli/dist/bin.js" ] || (cd "$ROOT" && pnpm --filter @amqtt/cli... build >/dev/null)
sed "s/127.0.0.1:18850/127.0.0.1:$PORT/" "$HERE/bench-broker.yaml" >"$OUT/broker.yaml"
sed "s/^listener .*/listener $PORT 127.0.0.1/" "$BENCH/mosquitto.conf" >"$OUT/mosquitto.conf"
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)

# One run of `name`: start it on core 0, connect N clients from core 1, print rate and CPU per connection.
run() {
  local name=$1
  shift
  taskset -c 0 "$@" >"$OUT/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    ss -ltnH "sport = :$PORT" | grep -q . && break
    sleep 0.1
  done
  sleep 0.5
  local u0 s0 u1 s1 line
  read -r u0 s0 < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
  line=$(taskset -c 1 "$BENCH/mqtt-load" connections 127.0.0.1 "$PORT" -n "$N" -i 0.2 -B "$pid" 2>/dev/null)
  read -r u1 s1 < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local hz rate
  hz=$(getconf CLK_TCK)
  rate=$(grep -oE 'connect_rate=[0-9]+' <<<"$line" | cut -d= -f2)
  echo "$name rate=$rate cpu_us_per_conn=$(( ((u1 - u0) + (s1 - s0)) * 1000000 / hz / N )) user_us=$(( (u1 - u0) * 1000000 / hz / N )) sys_us=$(( (s1 - s0) * 1000000 / hz / N ))"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
  echo "## round $r"
  run ours node --max-semi-space-size=4 "$ROOT/packages/cli/dist/bin.js" -c "$OUT/broker.yaml"
  run node-floor node "$HERE/connect-floor-server.mjs" "$PORT"
  run mosquitto "$MOSQUITTO" -c "$OUT/mosquitto.conf"
done
