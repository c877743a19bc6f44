#!/usr/bin/env bash
# `pnpm bench` for @amqtt/broker: ours against Mosquitto and Aedes in one run,
# with the load harness in tooling/bench (BENCH_DIR overrides it). Starts the
# peers, starts our built broker, runs compare.sh, stops everything it started.
# Knobs are compare.sh's (SCENARIOS, ROUNDS, DURATION, ...); e.g.
#   ROUNDS=1 SCENARIOS="fanin-q0 fanout-q1" pnpm --filter @amqtt/broker bench
#
# Two passes: every scenario against long-running brokers (warm, as in
# production), then, when `connections` is among the scenarios and FRESH is not
# 0, `connections` once more with a fresh broker per run: only then can the
# harness compute "KB RSS per connection" (a broker that grew and freed memory
# before reuses it).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/tooling/bench}
[ -x "$BENCH/compare.sh" ] || [ -f "$BENCH/compare.sh" ] || { echo "no benchmark harness at $BENCH" >&2; exit 2; }
export OURS_PORT=18850
# OURS_NODE_FLAGS: node flags for ours; by default those of the amqtt binary's shebang line.
export OURS_CMD="node ${OURS_NODE_FLAGS---max-semi-space-size=4} $ROOT/packages/cli/dist/bin.js -c $HERE/bench-broker.yaml"
export OURS_MATCH=bin.js
FRESH=${FRESH:-1}
SCENARIOS=${SCENARIOS:-"fanin-q0 fanin-q1 fanout-q0 fanout-q1 latency-q0 latency-q1 connections"}
[ -f "$ROOT/packages/cli/dist/bin.js" ] || (cd "$ROOT" && pnpm --filter @amqtt/cli... build >/dev/null)
bash "$BENCH/peers.sh" setup >/dev/null
trap 'bash "$BENCH/peers.sh" stop mosquitto aedes ours >/dev/null 2>&1 || true' EXIT
bash "$BENCH/peers.sh" start mosquitto aedes ours
sleep 1
# Ours first: the ratio columns then read mosquitto/ours and aedes/ours.
echo "## long-running brokers: $SCENARIOS"
SCENARIOS="$SCENARIOS" bash "$BENCH/compare.sh" $(bash "$BENCH/peers.sh" args ours mosquitto aedes)
case " $SCENARIOS " in
*" connections "*)
  if [ "$FRESH" != 0 ]; then
    echo
    echo "## fresh broker per run: connections (KB RSS per connection)"
    SCENARIOS=connections RESTART_CMD="$BENCH/peers.sh restart" \
      bash "$BENCH/compare.sh" $(bash "$BENCH/peers.sh" args ours mosquitto aedes)
  fi
  ;;
esac
# Idle RSS, CONNACKs/s and RSS per idle connection at 1k/5k/10k/18k connections
# against Mosquitto, fresh brokers on their own ports (issue 19); COST_GROWTH=0 skips it.
if [ "${COST_GROWTH:-1}" != 0 ]; then
  echo
  echo "## cost growth (fresh broker per cell)"
  BENCH_DIR="$BENCH" bash "$HERE/cost-growth.sh"
fi
