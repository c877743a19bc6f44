#!/usr/bin/env bash
# `pnpm bench:slow-consumer` for @amqtt/broker (issue 14): the slow-consumer
# scenario of bench/slow-consumer.mjs against, in one run, this tree's broker
# ("after"), an older build ("before", when BEFORE_DIR names a built checkout)
# and Mosquitto, all with the same queue bounds: max_inflight_messages 100,
# max_queued_messages 1000 (our defaults; Mosquitto's max_queued_messages default).
#   BEFORE_DIR=/work/wt/sc-base pnpm --filter @amqtt/broker bench:slow-consumer
# (make one with: git worktree add --detach /tmp/base main && cd /tmp/base &&
#  pnpm install --offline && pnpm --filter @amqtt/cli... build)
# Knobs are slow-consumer.mjs's: COUNT, SECONDS, WINDOW, PAYLOAD.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
[ -f "$ROOT/packages/cli/dist/bin.js" ] || (cd "$ROOT" && pnpm --filter @amqtt/cli... build >/dev/null)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-slow-consumer-XXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

ours_yaml() { # port
  cat <<YAML
listeners:
  default:
    type: tcp
    bind: 127.0.0.1:$1
max_inflight_messages: 100
max_queued_messages: 1000
plugins:
  anonymous-auth:
    allow_anonymous: true
persistence:
  store: memory
YAML
}

wait_port() { # port
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1" >&2
  exit 1
}

TARGETS=()
if [ -n "${BEFORE_DIR:-}" ]; then
  [ -f "$BEFORE_DIR/packages/cli/dist/bin.js" ] || { echo "no build in $BEFORE_DIR" >&2; exit 2; }
  ours_yaml 18871 >"$TMP/before.yaml"
  node --max-semi-space-size=4 "$BEFORE_DIR/packages/cli/dist/bin.js" -c "$TMP/before.yaml" >"$TMP/before.log" 2>&1 &
  PIDS+=($!)
  wait_port 18871
  TARGETS+=(before=18871)
fi
ours_yaml 18870 >"$TMP/after.yaml"
node --max-semi-space-size=4 "$ROOT/packages/cli/dist/bin.js" -c "$TMP/after.yaml" >"$TMP/after.log" 2>&1 &
PIDS+=($!)
wait_port 18870
TARGETS+=(after=18870)
if command -v mosquitto >/dev/null; then
  cat >"$TMP/mosquitto.conf" <<CONF
listener 18872 127.0.0.1
allow_anonymous true
max_inflight_messages 100
max_queued_messages 1000
persistence false
log_dest none
CONF
  mosquitto -c "$TMP/mosquitto.conf" >"$TMP/mosquitto.log" 2>&1 &
  PIDS+=($!)
  wait_port 18872
  TARGETS+=(mosquitto=18872)
fi
node "$HERE/slow-consumer.mjs" "${TARGETS[@]}"
echo
echo "drop lines logged by after (rate-limited): $(grep -c "dropped" "$TMP/after.log" || true)"
