#!/usr/bin/env bash
# Cost growth (issue 19): ours against Mosquitto in the same run, a fresh broker
# per cell, at 1k, 5k, 10k and 18k idle connections (the fd limit here is 20,000).
# Prints two markdown tables:
#   - idle RSS: `amqtt --memory --no-ws` (embedded defaults), bare Node, Mosquitto
#   - per N: CONNACKs/s (connections scenario, CONNECT + SUBSCRIBE per client),
#     KB of RSS per idle connection ((RSS with N idle - RSS before) / N), and CPU
#     per message while the N stay connected (the latency scenario, 1 publisher ->
#     1 subscriber at RATE msg/s for MSG_SECONDS: broker CPU time / messages), ours
#     and Mosquitto, with the ratio ours/Mosquitto.
# Each cell is the median of ROUNDS [3] fresh runs. Knobs: COUNTS ["1000 5000 10000 18000"],
# ROUNDS, IDLE [2] s, RATE [2000] msg/s, MSG_SECONDS [3], PORT_OURS [18870], PORT_MOSQ
# [18871] (own ports: other runs of the shared harness keep theirs), PIN [1] (broker on
# core 0, generators on core 1).
# The broker runs as the bench runs it (bench-broker.yaml: log_level warn).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/tooling/bench}
LOAD=$BENCH/mqtt-load
[ -x "$LOAD" ] || make -s -C "$BENCH" mqtt-load >/dev/null
COUNTS=${COUNTS:-"1000 5000 10000 18000"}
ROUNDS=${ROUNDS:-3}
IDLE=${IDLE:-2}
RATE=${RATE:-2000}
MSG_SECONDS=${MSG_SECONDS:-3}
PORT_OURS=${PORT_OURS:-18870}
PORT_MOSQ=${PORT_MOSQ:-18871}
PIN=${PIN:-1}
[ "$(nproc)" -ge 2 ] || PIN=0
ulimit -n "$(ulimit -Hn)"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/amqtt-cost-growth.XXXXXX")
BROKER_PID=""
cleanup() {
  [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null || true
  [ -n "${LOAD_PID:-}" ] && kill "$LOAD_PID" 2>/dev/null || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
[ -f "$ROOT/packages/cli/dist/bin.js" ] || (cd "$ROOT" && pnpm --filter @amqtt/cli... build >/dev/null)
sed "s/^listener 18840 /listener $PORT_MOSQ /" "$BENCH/mosquitto.conf" >"$SCRATCH/mosquitto.conf"
sed "s/127.0.0.1:18850/127.0.0.1:$PORT_OURS/" "$HERE/bench-broker.yaml" >"$SCRATCH/ours.yaml"
MOSQ=$(command -v mosquitto || echo /usr/sbin/mosquitto)
PIN_BROKER=(); PIN_GEN=()
[ "$PIN" = 1 ] && PIN_BROKER=(taskset -c 0) && PIN_GEN=(taskset -c 1)

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
median() { sort -n | awk '{v[NR]=$1} END {if (NR==0) print "n/a"; else print v[int((NR+1)/2)]}'; }

# start NAME: a fresh broker in the background, BROKER_PID set, waits until it accepts.
start() {
  case $1 in
  ours) "${PIN_BROKER[@]}" node --max-semi-space-size=4 "$ROOT/packages/cli/dist/bin.js" -c "$SCRATCH/ours.yaml" >"$SCRATCH/ours.log" 2>&1 &
    BROKER_PID=$!; port=$PORT_OURS ;;
  mosquitto) "${PIN_BROKER[@]}" "$MOSQ" -c "$SCRATCH/mosquitto.conf" >"$SCRATCH/mosquitto.log" 2>&1 &
    BROKER_PID=$!; port=$PORT_MOSQ ;;
  esac
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  sleep 0.5
}
stop() { kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; BROKER_PID=""; }

# idle_rss CMD...: RSS in KB of a process 2 s after it started.
idle_rss() {
  "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep 2.5
  rss_kb "$pid"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

echo "# cost growth: $(date -u +%FT%TZ) rounds=$ROUNDS idle=${IDLE}s pin=$PIN counts=$COUNTS"
echo
echo "| idle process | RSS MB |"
echo "|---|---:|"
for what in amqtt node mosquitto; do
  for _ in $(seq "$ROUNDS"); do
    case $what in
    amqtt) idle_rss node --max-semi-space-size=4 "$ROOT/packages/cli/dist/bin.js" --memory --no-ws --port 0 ;;
    node) idle_rss node -e "setTimeout(() => {}, 10000)" ;;
    mosquitto) idle_rss "$MOSQ" -c "$SCRATCH/mosquitto.conf" ;;
    esac
  done | median | awk -v w="$what" '{printf "| %s | %.1f |\n", (w=="amqtt" ? "amqtt --memory --no-ws" : (w=="node" ? "bare node" : "mosquitto")), $1/1024}'
done

echo
echo "| connections | ours CONNACKs/s | mosquitto CONNACKs/s | ratio | ours KB RSS/conn | mosquitto KB RSS/conn | ratio | ours us CPU/msg | mosquitto us CPU/msg | ratio |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
# hold_run NAME N: fresh broker, N clients connect and stay; sets rate, per (KB/conn), cpu (us/msg), or returns 1.
hold_run() {
  local b=$1 n=$2 errf="$SCRATCH/load.err" line msg
  start "$b"
  local before
  before=$(rss_kb "$BROKER_PID")
  : >"$errf"
  # The clients stay for IDLE s plus the message phase; their generator says "idling" once all are subscribed.
  "${PIN_GEN[@]}" "$LOAD" connections 127.0.0.1 "$port" -n "$n" -i $((IDLE + MSG_SECONDS + 4)) -B "$BROKER_PID" \
    >"$SCRATCH/load.out" 2>"$errf" &
  LOAD_PID=$!
  for _ in $(seq 600); do
    grep -q idling "$errf" && break
    kill -0 "$LOAD_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q idling "$errf"; then
    wait "$LOAD_PID" 2>/dev/null || true
    LOAD_PID=""
    echo "  ($b n=$n: $(cat "$SCRATCH/load.out" "$errf" | tr '\n' ' '))" >&2
    stop
    return 1
  fi
  sleep "$IDLE"
  local after
  after=$(rss_kb "$BROKER_PID")
  msg=$("${PIN_GEN[@]}" "$LOAD" latency 127.0.0.1 "$port" -r "$RATE" -d "$MSG_SECONDS" -W 1 -t cg -B "$BROKER_PID" 2>/dev/null || true)
  wait "$LOAD_PID" 2>/dev/null || true
  LOAD_PID=""
  line=$(cat "$SCRATCH/load.out")
  stop
  case $line in *status=ok*) ;; *) echo "  ($b n=$n: $line)" >&2; return 1 ;; esac
  rate=$(sed -E 's/.*connect_rate=([0-9.]+).*/\1/' <<<"$line")
  per=$(awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN {printf "%.2f", (a - b) / n}')
  case $msg in
  *status=ok*) cpu=$(sed -E 's/.*broker_cpu_pct=([0-9.]+).*/\1/' <<<"$msg" | awk -v r="$RATE" '{printf "%.1f", $1 * 10000 / r}') ;;
  *) echo "  ($b n=$n messages: $msg)" >&2; cpu="" ;;
  esac
}
for n in $COUNTS; do
  declare -A RATE_=() PER=() CPU=()
  for b in ours mosquitto; do
    rates=""; pers=""; cpus=""
    for _ in $(seq "$ROUNDS"); do
      hold_run "$b" "$n" || continue
      rates="$rates $rate"; pers="$pers $per"; cpus="$cpus $cpu"
    done
    RATE_[$b]=$(tr ' ' '\n' <<<"$rates" | grep . | median)
    PER[$b]=$(tr ' ' '\n' <<<"$pers" | grep . | median)
    CPU[$b]=$(tr ' ' '\n' <<<"$cpus" | grep . | median)
  done
  awk -v n="$n" -v ro="${RATE_[ours]}" -v rm="${RATE_[mosquitto]}" -v po="${PER[ours]}" -v pm="${PER[mosquitto]}" \
    -v co="${CPU[ours]}" -v cm="${CPU[mosquitto]}" 'BEGIN {
    printf "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", n, ro, rm, (rm > 0 ? sprintf("%.2fx", ro / rm) : "n/a"),
      po, pm, (pm > 0 ? sprintf("%.1fx", po / pm) : "n/a"), co, cm, (cm > 0 ? sprintf("%.1fx", co / cm) : "n/a") }'
done
