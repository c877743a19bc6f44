#!/usr/bin/env bash
# Issue 19 in one run: Mosquitto first (the ratio columns read ours/mosquitto),
# then this build's broker with the amqtt binary's node flags ("ours"), then the
# same build with OURS_B_FLAGS added ("ours-b", default --single-threaded-gc: the
# harness pins every broker thread to one core, where V8's parallel GC helpers
# only take turns with the main thread). Scenarios: fan-in QoS 0 (msg/s, peak
# RSS) and the 1000 msg/s latency runs (p99/p99.9, broker CPU %).
#   pnpm --filter @amqtt/broker bench:fanin          # ROUNDS [3], compare.sh's knobs
# Run it under `flock /tmp/bench.lock` on a shared machine.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/tooling/bench}
BIN=${AMQTT_BIN:-$ROOT/packages/cli/dist/bin.js}
FLAGS="--max-semi-space-size=4"
B_FLAGS=${OURS_B_FLAGS---single-threaded-gc}
[ -f "$BIN" ] || (cd "$ROOT" && pnpm --filter @amqtt/cli... build >/dev/null)
A_YAML=$(mktemp "${TMPDIR:-/tmp}/bench-fanin-a-XXXX.yaml")
B_YAML=$(mktemp "${TMPDIR:-/tmp}/bench-fanin-b-XXXX.yaml")
sed 's/127.0.0.1:18850/127.0.0.1:18852/' "$HERE/bench-broker.yaml" >"$A_YAML"
sed 's/127.0.0.1:18850/127.0.0.1:18853/' "$HERE/bench-broker.yaml" >"$B_YAML"
bash "$BENCH/peers.sh" setup >/dev/null
# shellcheck disable=SC2086 # the flags are words
node $FLAGS "$BIN" -c "$A_YAML" >"${TMPDIR:-/tmp}/bench-fanin-a.log" 2>&1 &
A=$!
# shellcheck disable=SC2086
node $FLAGS $B_FLAGS "$BIN" -c "$B_YAML" >"${TMPDIR:-/tmp}/bench-fanin-b.log" 2>&1 &
B=$!
trap 'bash "$BENCH/peers.sh" stop mosquitto >/dev/null 2>&1; kill $A $B 2>/dev/null; rm -f "$A_YAML" "$B_YAML"' EXIT
bash "$BENCH/peers.sh" start mosquitto
# Both brokers listening (a loaded machine may take a few seconds to start them).
for _ in $(seq 100); do
  ss -ltnH "sport = :18852" | grep -q . && ss -ltnH "sport = :18853" | grep -q . && break
  sleep 0.2
done
kill -0 "$A" && kill -0 "$B"
SCENARIOS="${SCENARIOS:-fanin-q0 latency-q0 latency-q1}" \
  bash "$BENCH/compare.sh" $(bash "$BENCH/peers.sh" args mosquitto) "ours=18852:$A" "ours-b=18853:$B"
