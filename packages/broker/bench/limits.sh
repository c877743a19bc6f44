#!/usr/bin/env bash
# `pnpm bench:limits` for @amqtt/broker (issue 17): the cost of the rate limits
# and caps when they are configured but not hit. Two brokers of this tree's build,
# interleaved by tooling/bench/compare.sh in one run:
#   nolimits  every limit off (max_message_rate, max_byte_rate, max_connection_rate,
#             max_clients and max_message_memory all 0): the named peer, first column
#   limits    every limit on, at values the load never reaches
# The ratio column reads limits/nolimits (throughput: under 1 is a cost; latency:
# over 1 is a cost). Ports 18860 and 18861, apart from `pnpm bench`'s peers.
# Knobs are compare.sh's (SCENARIOS, ROUNDS, DURATION, ...).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/tooling/bench}
[ -f "$ROOT/packages/cli/dist/bin.js" ] || (cd "$ROOT" && pnpm --filter @amqtt/cli... build >/dev/null)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-limits-XXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ "${KEEP:-0}" = 1 ] && echo "kept $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT

# bench-broker.yaml on another port, plus the limit keys given.
config() { # port, extra yaml
  sed "s/127.0.0.1:18850/127.0.0.1:$1/" "$HERE/bench-broker.yaml"
  printf '%s\n' "$2"
}
config 18860 "max_message_rate: 0
max_byte_rate: 0
max_clients: 0
max_message_memory: 0" >"$TMP/nolimits.yaml"
# The listener's rate goes under the listener: add it to the default listener.
sed -i 's/^    bind: 127.0.0.1:18860$/    bind: 127.0.0.1:18860\n    max_connection_rate: 0/' "$TMP/nolimits.yaml"
config 18861 "max_message_rate: 10000000
message_rate_burst: 10000000
max_byte_rate: 10000000000
byte_rate_burst: 10000000000
max_clients: 1000000
max_message_memory: 17179869184" >"$TMP/limits.yaml"
sed -i 's/^    bind: 127.0.0.1:18861$/    bind: 127.0.0.1:18861\n    max_connection_rate: 1000000/' "$TMP/limits.yaml"

# Started here, not in a $(...) subshell, so that PIDS (killed at exit) holds them.
node --max-semi-space-size=4 "$ROOT/packages/cli/dist/bin.js" -c "$TMP/nolimits.yaml" >"$TMP/nolimits.log" 2>&1 &
NOLIMITS=$!
PIDS+=("$NOLIMITS")
node --max-semi-space-size=4 "$ROOT/packages/cli/dist/bin.js" -c "$TMP/limits.yaml" >"$TMP/limits.log" 2>&1 &
LIMITS=$!
PIDS+=("$LIMITS")
for port in 18860 18861; do
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
done
for pid in "$NOLIMITS" "$LIMITS"; do
  [ -d "/proc/$pid" ] || { echo "a broker did not start:" >&2; cat "$TMP"/*.log >&2; exit 1; }
done
SCENARIOS="${SCENARIOS:-fanin-q0 fanin-q1 fanout-q0 fanout-q1 latency-q0}" \
  bash "$BENCH/compare.sh" "nolimits=18860:$NOLIMITS" "limits=18861:$LIMITS"
