#!/usr/bin/env bash
# Before/after benchmark in one run: this tree's broker ("ours"), the broker of an
# older build ("base"), Mosquitto and Aedes, interleaved by tooling/bench/compare.sh,
# so a refactor's cost is read as ratios against the same-run peers.
#   BASE_DIR=/path/to/built/old/checkout bash packages/broker/bench/before-after.sh
# (make one with: git worktree add /tmp/base <commit> && cd /tmp/base && pnpm install && pnpm build)
# Knobs are compare.sh's (SCENARIOS, ROUNDS, DURATION, ...).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/tooling/bench}
: "${BASE_DIR:?set BASE_DIR to a built checkout of the commit to compare against}"
[ -f "$BASE_DIR/packages/cli/dist/bin.js" ] || { echo "no build in $BASE_DIR (run pnpm build there)" >&2; exit 2; }
[ -f "$ROOT/packages/cli/dist/bin.js" ] || (cd "$ROOT" && pnpm --filter @amqtt/cli... build >/dev/null)
BASE_YAML=$(mktemp "${TMPDIR:-/tmp}/bench-base-XXXX.yaml")
sed 's/127.0.0.1:18850/127.0.0.1:18851/' "$HERE/bench-broker.yaml" >"$BASE_YAML"
make -s -C "$BENCH" >/dev/null
bash "$BENCH/peers.sh" setup >/dev/null
export OURS_PORT=18850 OURS_MATCH=bin.js
export OURS_CMD="node --max-semi-space-size=4 $ROOT/packages/cli/dist/bin.js -c $HERE/bench-broker.yaml"
node --max-semi-space-size=4 "$BASE_DIR/packages/cli/dist/bin.js" -c "$BASE_YAML" >"${TMPDIR:-/tmp}/bench-base.log" 2>&1 &
BASE_PID=$!
trap 'bash "$BENCH/peers.sh" stop mosquitto aedes ours >/dev/null 2>&1; kill $BASE_PID 2>/dev/null; rm -f "$BASE_YAML"' EXIT
bash "$BENCH/peers.sh" start mosquitto aedes ours
sleep 2
# Columns: ours first, so the ratios read base/ours, mosquitto/ours, aedes/ours.
SCENARIOS="${SCENARIOS:-fanin-q0 fanin-q1 fanout-q0 fanout-q1 latency-q0 latency-q1}" \
  bash "$BENCH/compare.sh" $(bash "$BENCH/peers.sh" args ours) "base=18851:$BASE_PID" \
  $(bash "$BENCH/peers.sh" args mosquitto aedes)
