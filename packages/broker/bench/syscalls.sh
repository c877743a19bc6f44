#!/usr/bin/env bash
# System calls per message at 1000 msg/s: `strace -c -f` on this build's broker and
# on Mosquitto, each through one `mqtt-load latency` run (QoS 0, then QoS 1), both
# brokers pinned to core 0 and the generator to core 1. strace slows the traced
# process, so read the counts per message, not the times; a first pass without
# strace gives each broker's user and system CPU seconds over the same run.
#   bash packages/broker/bench/syscalls.sh          # under flock /tmp/bench.lock
# Output: strace summaries and load lines in ${OUT:-${TMPDIR:-/tmp}/bench-syscalls}.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/tooling/bench}
OUT=${OUT:-${TMPDIR:-/tmp}/bench-syscalls}
mkdir -p "$OUT"
command -v strace >/dev/null || { echo "strace is not installed" >&2; exit 2; }
make -s -C "$BENCH" OUT="$BENCH" "$BENCH/mqtt-load" >/dev/null
sed 's/127.0.0.1:18850/127.0.0.1:18854/' "$HERE/bench-broker.yaml" >"$OUT/broker.yaml"
sed 's/^listener .*/listener 18855 127.0.0.1/' "$BENCH/mosquitto.conf" >"$OUT/mosquitto.conf"
taskset -c 0 node --max-semi-space-size=4 "$ROOT/packages/cli/dist/bin.js" -c "$OUT/broker.yaml" >"$OUT/ours.log" 2>&1 &
OURS=$!
taskset -c 0 "$(command -v mosquitto || echo /usr/sbin/mosquitto)" -c "$OUT/mosquitto.conf" >"$OUT/mosquitto.log" 2>&1 &
MOSQ=$!
trap 'kill $OURS $MOSQ 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  ss -ltnH "sport = :18854" | grep -q . && ss -ltnH "sport = :18855" | grep -q . && break
  sleep 0.2
done
# First without strace: user and system CPU seconds of each broker over one run.
ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
for qos in 0 1; do
  for broker in "ours 18854 $OURS" "mosquitto 18855 $MOSQ"; do
    set -- $broker
    read -r u0 s0 < <(ticks "$3")
    taskset -c 1 "$BENCH/mqtt-load" latency 127.0.0.1 "$2" -q "$qos" -m 64 -d 8 -W 1 -r 1000 >/dev/null 2>&1 || true
    read -r u1 s1 < <(ticks "$3")
    awk -v b="$1" -v q="$qos" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$hz" \
      'BEGIN { printf "== %s QoS %s: CPU user %.2f s, system %.2f s (one 9 s run at 1000 msg/s)\n", b, q, u / hz, s / hz }'
  done
done
for qos in 0 1; do
  for broker in "ours 18854 $OURS" "mosquitto 18855 $MOSQ"; do
    set -- $broker
    strace -c -f -p "$3" -o "$OUT/strace-$1-q$qos.txt" &
    TRACE=$!
    sleep 0.5
    taskset -c 1 "$BENCH/mqtt-load" latency 127.0.0.1 "$2" -q "$qos" -m 64 -d 8 -W 1 -r 1000 >"$OUT/load-$1-q$qos.txt" 2>/dev/null || true
    kill -INT "$TRACE" 2>/dev/null || true
    wait "$TRACE" 2>/dev/null || true
    sent=$(grep -o 'sent=[0-9]*' "$OUT/load-$1-q$qos.txt" | cut -d= -f2)
    echo "== $1 QoS $qos: $sent messages; calls per message by system call"
    awk -v n="${sent:-1}" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" { printf "  %-16s %6.2f\n", $NF, $4 / n }' "$OUT/strace-$1-q$qos.txt" | sort -k2 -rn | head -8
  done
done
