#!/usr/bin/env bash
# Node's floor for the connection rows of issue 19, three servers interleaved, ROUNDS
# rounds: this build's broker (bench-broker.yaml), a bare Node server that answers
# CONNECT and SUBSCRIBE with fixed bytes (connect-floor-server.mjs: Node's net floor),
# and Mosquitto. Each server pinned to core 0, the generator to core 1. Per round and
# server, two runs of the `mqtt-load connections` scenario (N clients CONNECT +
# SUBSCRIBE), each on a fresh process:
#   - rate: CONNACKs/s and CPU per connection (user + system from /proc over the
#     run: connect, 0.2 s idle, disconnect);
#   - memory: the process's idle RSS before the first client, then RSS per idle
#     connection ((RSS after IDLE s with all N connected - idle RSS) / N), as the
#     shared harness's connections scenario computes it for fresh brokers.
# Per round also the idle RSS, 2.5 s after start, of issue 19's idle-broker row
# (`amqtt --memory --no-ws`, embedded defaults) and of a bare `node -e` (as cost-growth.sh).
# Both Node servers run with the amqtt binary's node flags (NODE_FLAGS [--max-semi-space-size=4]):
# the young generation's size shows in RSS, so the floor gets the same cap as ours.
# Prints one line per run, then a markdown table of the medians with ratios to Mosquitto.
#   flock /tmp/bench.lock bash packages/broker/bench/connect-floor.sh
# Knobs: ROUNDS [3], N [5000] connections, IDLE [5] s for the memory run, NODE_FLAGS, OUT.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/tooling/bench}
OUT=${OUT:-${TMPDIR:-/tmp}/bench-connect-floor}
ROUNDS=${ROUNDS:-3}
N=${N:-5000}
IDLE=${IDLE:-5}
NODE_FLAGS=${NODE_FLAGS---max-semi-space-size=4}
PORT=18856
mkdir -p "$OUT"
: >"$OUT/raw.txt"
ulimit -n "$(ulimit -Hn)"
make -s -C "$BENCH" OUT="$BENCH" "$BENCH/mqtt-load" >/dev/null
[ -f "$ROOT/packages/cli/dist/bin.js" ] || (cd "$ROOT" && pnpm --filter @amqtt/cli... build >/dev/null)
sed "s/127.0.0.1:18850/127.0.0.1:$PORT/" "$HERE/bench-broker.yaml" >"$OUT/broker.yaml"
sed "s/^listener .*/listener $PORT 127.0.0.1/" "$BENCH/mosquitto.conf" >"$OUT/mosquitto.conf"
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true' EXIT

# start NAME CMD...: a fresh server on core 0, SERVER_PID set once it accepts and settled.
start() {
  local name=$1
  shift
  taskset -c 0 "$@" >"$OUT/$name.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    ss -ltnH "sport = :$PORT" | grep -q . && break
    sleep 0.1
  done
  sleep 0.5
}
stop() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
field() { grep -oE "(^| )$1=[0-9.]+" <<<"$2" | cut -d= -f2; }

# rate NAME CMD...: connect N clients from core 1, print rate and CPU per connection.
rate() {
  local name=$1 u0 s0 u1 s1 line hz
  start "$@"
  read -r u0 s0 < <(awk '{ print $14, $15 }' "/proc/$SERVER_PID/stat")
  line=$(taskset -c 1 "$BENCH/mqtt-load" connections 127.0.0.1 "$PORT" -n "$N" -i 0.2 -B "$SERVER_PID" 2>/dev/null || true)
  read -r u1 s1 < <(awk '{ print $14, $15 }' "/proc/$SERVER_PID/stat")
  stop
  hz=$(getconf CLK_TCK)
  echo "$name rate=$(field connect_rate "$line") cpu_us_per_conn=$(( ((u1 - u0) + (s1 - s0)) * 1000000 / hz / N )) user_us=$(( (u1 - u0) * 1000000 / hz / N )) sys_us=$(( (s1 - s0) * 1000000 / hz / N )) status=$(grep -oE 'status=[a-z_0-9]+' <<<"$line" | cut -d= -f2)" |
    tee -a "$OUT/raw.txt"
}

# memory NAME CMD...: idle RSS of the fresh process, then KB of RSS per idle connection.
memory() {
  local name=$1 before line after
  start "$@"
  before=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")
  line=$(taskset -c 1 "$BENCH/mqtt-load" connections 127.0.0.1 "$PORT" -n "$N" -i "$IDLE" -B "$SERVER_PID" 2>/dev/null || true)
  stop
  after=$(field broker_rss_kb "$line")
  echo "$name idle_rss_kb=$before rss_all_kb=${after:-0} kb_per_conn=$(awk -v a="${after:-0}" -v b="$before" -v n="$N" 'BEGIN { printf "%.2f", (a - b) / n }') status=$(grep -oE 'status=[a-z_0-9]+' <<<"$line" | cut -d= -f2)" |
    tee -a "$OUT/raw.txt"
}

# idle NAME CMD...: RSS of a fresh process 2.5 s after it started (nothing connects).
idle() {
  local name=$1
  shift
  taskset -c 0 "$@" >"$OUT/$name.log" 2>&1 &
  SERVER_PID=$!
  sleep 2.5
  echo "$name idle_rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status") status=ok" | tee -a "$OUT/raw.txt"
  stop
}

servers=(ours node-floor mosquitto)
# shellcheck disable=SC2086 # NODE_FLAGS are words
command_of() {
  case $1 in
  ours) echo node $NODE_FLAGS "$ROOT/packages/cli/dist/bin.js" -c "$OUT/broker.yaml" ;;
  node-floor) echo node $NODE_FLAGS "$HERE/connect-floor-server.mjs" "$PORT" ;;
  mosquitto) echo "$MOSQUITTO" -c "$OUT/mosquitto.conf" ;;
  esac
}

echo "# connect-floor $(date -u +%FT%TZ) rounds=$ROUNDS n=$N idle=${IDLE}s load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
  echo "## round $r"
  # shellcheck disable=SC2046 # the command is words
  for s in "${servers[@]}"; do rate "$s" $(command_of "$s"); done
  # shellcheck disable=SC2046
  for s in "${servers[@]}"; do memory "$s" $(command_of "$s"); done
  # shellcheck disable=SC2086
  idle ours-memory node $NODE_FLAGS "$ROOT/packages/cli/dist/bin.js" --memory --no-ws --port 0
  idle bare-node node -e "setTimeout(() => {}, 10000)"
done
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
awk '
function med(k,   n, i, j, t, a) {
  n = cnt[k]; if (!n) return "";
  for (i = 1; i <= n; i++) a[i] = v[k, i] + 0;
  for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
  for (i = 2; i <= NF; i++) { p = index($i, "="); k = substr($i, 1, p - 1); x = substr($i, p + 1)
    if (k == "status") { if (x != "ok") bad[$1] = bad[$1] " " x; continue }
    c = ++cnt[$1 SUBSEP k]; v[$1 SUBSEP k, c] = x }
}
END {
  split("ours node-floor mosquitto", S, " ")
  split("rate cpu_us_per_conn idle_rss_kb kb_per_conn", M, " ")
  d["rate"] = "CONNACKs/s"; d["cpu_us_per_conn"] = "CPU per connection us"
  d["idle_rss_kb"] = "idle RSS MB"; d["kb_per_conn"] = "KB RSS per idle connection"
  print "| measure (median) | ours | node-floor | mosquitto | ours/mosquitto | node-floor/mosquitto |"
  print "|---|---:|---:|---:|---:|---:|"
  for (m = 1; m <= 4; m++) {
    row = "| " d[M[m]] " |"
    for (s = 1; s <= 3; s++) { x = med(S[s] SUBSEP M[m]); if (M[m] == "idle_rss_kb") x = sprintf("%.1f", x / 1024); row = row " " x " |" }
    base = med("mosquitto" SUBSEP M[m])
    for (s = 1; s <= 2; s++) row = row " " (base > 0 ? sprintf("%.2fx", med(S[s] SUBSEP M[m]) / base) : "-") " |"
    print row
  }
  # the idle-broker row of issue 19: ours on embedded defaults, the floor a bare node -e
  om = med("ours-memory" SUBSEP "idle_rss_kb"); bn = med("bare-node" SUBSEP "idle_rss_kb"); mq = med("mosquitto" SUBSEP "idle_rss_kb")
  printf "| idle RSS MB, `amqtt --memory --no-ws` / bare `node -e` | %.1f | %.1f | %.1f | %.2fx | %.2fx |\n", om / 1024, bn / 1024, mq / 1024, om / mq, bn / mq
  for (s in bad) print "\nruns not status=ok: " s ":" bad[s]
}' "$OUT/raw.txt" | tee "$OUT/table.md"
