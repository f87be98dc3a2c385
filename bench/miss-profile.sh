#!/usr/bin/env bash
# What a cache miss costs dnsfwd: CPU time per forwarded query and peak memory under misses.
# Starts NSD (a wildcard zone) and, per run, a fresh dnsfwd forwarding to it, as the service files
# run it (dist/dnsfwd.mjs under package.json's node_flags); sends it unique names with dnsperf (20
# clients, 200 outstanding, every name new, so every query is forwarded): a warm-up of MISS_WARM
# seconds, then the measured MISS_SECONDS. Per run it prints the CPU µs per answered query (utime +
# stime of the dnsfwd process from /proc/PID/stat over the measured part, ÷ the queries dnsperf
# saw answered), qps, and the peak RssAnon and VmHWM (from /proc/PID/status every 100 ms, over the
# whole run). With MISS_ALLOC=1 dnsfwd also gets bench/miss-alloc.mjs preloaded: bytes allocated on
# V8's heap per answered query, GC time per query and the share promoted to old space (the
# profiler's own cost then adds to the CPU figure: compare CPU figures from runs without it).
# Run as root (port 53), after `npm run bundle`: bash bench/miss-profile.sh
# Environment: MISS_NET (127.0.80: addresses .20 for NSD, .21 for dnsfwd), MISS_SECONDS (10),
# MISS_WARM (3), MISS_RUNS (3), MISS_ALLOC (0), NODE (node), NODE_FLAGS (what `dnsfwd.mjs --node-settings run` prints),
# MISS_BUNDLE (dist/dnsfwd.mjs: another build's bundle, copied aside, for before/after in turn).
set -euo pipefail
export LC_ALL=C
PATH="$PATH:/usr/sbin:/sbin"

# shellcheck source=throughput.sh
source "$(dirname "${BASH_SOURCE[0]}")/throughput.sh" # ROOT, write_zone, start_nsd, write_config, track, wait_ready, cleanup
die() { echo "miss-profile.sh: $*" >&2; exit 1; }
NET=${MISS_NET:-127.0.80}
NSD_ADDR=$NET.20 NSD_PORT=5300
FWD_ADDR=$NET.21
DURATION=${MISS_SECONDS:-10}
WARM=${MISS_WARM:-3}
RUNS=${MISS_RUNS:-3}
ALLOC=${MISS_ALLOC:-0}
BUNDLE=$(realpath "${MISS_BUNDLE:-$ROOT/dist/dnsfwd.mjs}")
CLK_TCK=$(getconf CLK_TCK)
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
TMP=$(mktemp -d /tmp/miss-profile.XXXXXX)

for t in dnsperf nsd dig; do command -v "$t" >/dev/null || die "needs $t (apt-get install dnsperf nsd bind9-dnsutils)"; done
[[ -f $BUNDLE ]] || die "no $BUNDLE: run npm run bundle first"

write_zone
write_config "$TMP/dnsfwd.yaml" "$FWD_ADDR"
start_nsd

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
report() { awk -v k="$2" '(i = index($0, k)) { v = substr($0, i + length(k)); sub(/^[ \t]+/, "", v); split(v, w, " "); print w[1]; exit }' "$1"; }
names() { awk -v p="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s%d.w.bench.test A\n", p, i }' >"$3"; }

printf '%-4s %10s %10s %8s %12s %10s %9s' run answered qps 'cpu µs/q' 'RssAnon MiB' 'HWM MiB' lost
((ALLOC)) && printf ' %9s %9s %9s' 'B/query' 'GC µs/q' 'promoted'
printf '\n'
for ((run = 1; run <= RUNS; run++)); do
  extra=()
  if ((ALLOC)); then
    extra=(--import "$ROOT/bench/miss-alloc.mjs")
    export MISS_ALLOC_FILE="$TMP/alloc"
    rm -f "$MISS_ALLOC_FILE"
  fi
  (cd "$ROOT" && exec "$NODE" "${NODE_ARGS[@]}" "${extra[@]}" "$BUNDLE" run --config "$TMP/dnsfwd.yaml" --control-socket "") >"$TMP/dnsfwd.log" 2>&1 &
  track dnsfwd $!
  wait_ready dnsfwd "$FWD_ADDR" 53 "$TMP/dnsfwd.log"
  # The daemon is the owner of the listening socket: started without the settings dnsfwd asks
  # for, the process started above runs it as a child.
  pid=$(ss -Hulpn "src $FWD_ADDR" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
  # Peak RssAnon over the whole run, sampled every 100 ms in the background.
  (peak=0; while kill -0 "$pid" 2>/dev/null; do
     v=$(field "$pid" RssAnon) || break; [[ -n $v ]] || break
     ((v > peak)) && { peak=$v; echo "$peak" >"$TMP/peak.tmp"; mv "$TMP/peak.tmp" "$TMP/peak"; }
     sleep 0.1
   done) &
  sampler=$!
  rate=100000
  names "r${run}w" $((rate * WARM)) "$TMP/warm.txt"
  names "r${run}m" $((rate * DURATION)) "$TMP/miss.txt"
  dnsperf -s "$FWD_ADDR" -p 53 -c 20 -q 200 -T 1 -n 1 -l "$WARM" -d "$TMP/warm.txt" >"$TMP/warm.out" 2>&1 || die "dnsperf (warm-up) failed: $(tail -3 "$TMP/warm.out")"
  sleep 0.3
  a0=$( ((ALLOC)) && cat "$MISS_ALLOC_FILE" || echo)
  c0=$(cpu_ticks "$pid")
  dnsperf -s "$FWD_ADDR" -p 53 -c 20 -q 200 -T 1 -n 1 -l "$DURATION" -d "$TMP/miss.txt" >"$TMP/miss.out" 2>&1 || die "dnsperf failed: $(tail -3 "$TMP/miss.out")"
  c1=$(cpu_ticks "$pid")
  sleep 0.3
  a1=$( ((ALLOC)) && cat "$MISS_ALLOC_FILE" || echo)
  hwm=$(field "$pid" VmHWM)
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  answered=$(report "$TMP/miss.out" 'Queries completed:')
  lost=$(report "$TMP/miss.out" 'Queries lost:')
  qps=$(report "$TMP/miss.out" 'Queries per second:')
  noerror=$(awk '/Response codes:/ { for (i = 1; i < NF; i++) if ($i == "NOERROR") print $(i + 1) }' "$TMP/miss.out")
  ((${noerror:-0} * 10 >= answered * 9)) || die "run $run: only ${noerror:-0} of $answered answers NOERROR: $(grep 'Response codes' "$TMP/miss.out")"
  awk -v r="$run" -v n="$answered" -v q="$qps" -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v p="$(cat "$TMP/peak")" -v h="$hwm" -v l="$lost" \
    'BEGIN { printf "%-4s %10d %10.0f %8.1f %12.1f %10.1f %9d", r, n, q, c / hz * 1e6 / n, p / 1024, h / 1024, l }'
  if ((ALLOC)); then
    awk -v a="$a0" -v b="$a1" -v n="$answered" 'BEGIN { split(a, x); split(b, y);
      printf " %9.0f %9.2f %8.1f%%", (y[1] - x[1]) / n, (y[2] - x[2]) / n, (y[1] > x[1] ? 100 * (y[5] - x[5]) / (y[1] - x[1]) : 0) }'
  fi
  printf '\n'
done
