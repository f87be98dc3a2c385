#!/usr/bin/env bash
# Throughput benchmark: dnsperf against dnsfwd, Unbound (one thread) and dnsmasq, all forwarding the
# zone bench.test to one NSD on loopback, with the same query files and load: (1) cache hits, a fixed
# set of 1,000 names warmed first; (2) misses, unique names under a wildcard, so every query is
# forwarded. Checks every answer source, then prints a Markdown table (also bench/results/latest.md).
# Run: npm run bench:throughput (as root; `npm run build` first). Everything stays on 127.0.8.0/24
# (BENCH_NET=127.0.N moves it to another /24, for two runs side by side).
# dnsfwd runs as the service files run it: the single-file build with the Node settings bin/dnsfwd gives it,
# once as one process and once with --workers 2 (BENCH_WORKERS).
# Environment: BENCH_SECONDS (10), BENCH_P99_SECONDS (5), BENCH_QUIET_WAIT (60), NODE (node),
# NODE_FLAGS (what `dnsfwd.mjs --node-settings run` prints), DNSFWD_ARGS (extra `dnsfwd run` arguments, split on
# spaces), BENCH_WORKERS (2; 0 leaves the cluster row out), BENCH_KEEP=1 (keep the temp dir).
set -euo pipefail
export LC_ALL=C
PATH="$PATH:/usr/sbin:/sbin"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${BENCH_SECONDS:-10}
P99_DURATION=${BENCH_P99_SECONDS:-5}
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
NODE=${NODE:-node}
NODE_FLAGS=${NODE_FLAGS-$("$NODE" "$ROOT/dist/dnsfwd.mjs" --node-settings run)}
read -r -a NODE_ARGS <<<"$NODE_FLAGS"
read -r -a EXTRA_ARGS <<<"${DNSFWD_ARGS:-}"
WORKERS=${BENCH_WORKERS:-2}
CLIENTS=20
OUTSTANDING=200
MISS_LINES_PER_SECOND=100000 # miss files hold this many names per second of run: no name repeats
HITS=1000
RSS_NAMES=10000
PACKAGES="dnsperf unbound nsd dnsmasq-base bind9-dnsutils"
RESULTS="$ROOT/bench/results/latest.md"

NET=${BENCH_NET:-127.0.8}
NSD_ADDR=$NET.10 NSD_PORT=5300 # a port of its own, apart from the forwarders' 53
RSS_ADDR=$NET.4                   # a second, fresh dnsfwd for the 10,000-names memory pass
SYSTEMS=(dnsfwd unbound dnsmasq)
((WORKERS > 1)) && SYSTEMS=(dnsfwd dnsfwdw unbound dnsmasq)
declare -A ADDR=([dnsfwd]=$NET.1 [unbound]=$NET.2 [dnsmasq]=$NET.3 [dnsfwdw]=$NET.5)
declare -A PORT=([dnsfwd]=53 [unbound]=53 [dnsmasq]=53 [dnsfwdw]=53)
declare -A PREFIX=([dnsfwd]=f [unbound]=u [dnsmasq]=m [dnsfwdw]=w) # miss names: fm0.w.bench.test, ...
declare -A LABEL=() PID=() R=()
STARTED_PIDS=()
DNSPERF_PID=
WARNINGS=()
FAILURES=()
TMP=

# ---------------------------------------------------------------------------------------------
# Housekeeping: messages, clean-up of everything we started, tools.

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'throughput.sh: %s\n' "$*" >&2; exit 1; }
warn() { printf 'warning: %s\n' "$*" >&2; WARNINGS+=("$*"); }

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  [[ -n $DNSPERF_PID ]] && kill -TERM "$DNSPERF_PID" 2>/dev/null || true
  for pid in "${STARTED_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${STARTED_PIDS[@]}" $DNSPERF_PID; do stop_wait "$pid"; done
  if [[ -n $TMP && -d $TMP ]]; then
    if [[ -n ${BENCH_KEEP:-} ]]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
  fi
  exit "$rc"
}

# Waits up to 5 s for `pid` to exit after SIGTERM, then kills it.
stop_wait() {
  local pid=$1 i
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

missing_tools() {
  local t
  for t in dnsperf unbound unbound-checkconf nsd nsd-checkconf dnsmasq dig; do
    command -v "$t" >/dev/null || echo "$t"
  done
}

# Installs the Debian packages when a tool is missing (as root, with apt-get), or names them.
ensure_tools() {
  local missing cmd="apt-get update && apt-get install -y $PACKAGES"
  missing=$(missing_tools | paste -sd' ' -)
  [[ -z $missing ]] && return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "missing $missing; running: $cmd"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $PACKAGES
    missing=$(missing_tools | paste -sd' ' -)
    [[ -z $missing ]] || die "still missing after installing: $missing"
  else
    die "missing $missing; install them with: $cmd"
  fi
}

preflight() {
  [[ $(id -u) -eq 0 ]] || die "run as root: the forwarders listen on port 53"
  [[ -f $ROOT/dist/dnsfwd.mjs ]] || die "no dist/dnsfwd.mjs: run npm run bundle first"
  [[ $DURATION =~ ^[1-9][0-9]*$ && $P99_DURATION =~ ^[1-9][0-9]*$ ]] ||
    die "BENCH_SECONDS and BENCH_P99_SECONDS must be whole seconds"
  local s
  for s in "${SYSTEMS[@]}"; do port_free "${ADDR[$s]}" "${PORT[$s]}"; done
  port_free "$NSD_ADDR" "$NSD_PORT"
  port_free "$RSS_ADDR" 53
}

# Fails when something already listens on addr:port or on the wildcard address at that port.
port_free() {
  local addr=$1 port=$2 busy
  busy=$(ss -Hlnptu | awk -v a="$addr:$port" -v p=":$port" \
    '$5 == a || $5 == "0.0.0.0" p || $5 == "*" p || $5 == "[::]" p { print $5, $7 }')
  [[ -z $busy ]] || die "$addr:$port is taken: $busy (a packaged unbound/nsd/dnsmasq service? stop it)"
}

# Remembers a process we started, for cleanup() and the checks.
track() {
  local name=$1 pid=$2
  STARTED_PIDS+=("$pid")
  PID[$name]=$pid
}

# ---------------------------------------------------------------------------------------------
# Query files and the authoritative server.

write_zone() {
  {
    printf '$ORIGIN bench.test.\n$TTL 3600\n'
    printf '@ SOA ns hostmaster 1 3600 600 86400 3600\n@ NS ns\nns A %s\n' "$NSD_ADDR"
    printf '*.w A 10.9.9.9\n'
    awk -v n="$HITS" 'BEGIN { for (i = 0; i < n; i++) printf "h%d A %s\n", i, hit_addr(i) }
      function hit_addr(i) { return "10.0." int(i / 256) "." (i % 256) }'
  } >"$TMP/bench.test.zone"
}

hit_addr() { echo "10.0.$(($1 / 256)).$(($1 % 256))"; }

# Lines "PREFIXn.w.bench.test A" for n in 0..count-1: names nobody has asked for before.
write_names() {
  local file=$1 prefix=$2 count=$3
  awk -v p="$prefix" -v n="$count" 'BEGIN { for (i = 0; i < n; i++) printf "%s%d.w.bench.test A\n", p, i }' >"$file"
}

start_nsd() {
  cat >"$TMP/nsd.conf" <<EOF
server:
    ip-address: $NSD_ADDR@$NSD_PORT
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$TMP"
    database: ""
    zonelistfile: "$TMP/nsd.zone.list"
    xfrdfile: "$TMP/nsd.xfrd.state"
    xfrdir: "$TMP"
    pidfile: "$TMP/nsd.pid"
    cookie-secret-file: "$TMP/nsd.cookiesecrets"
    logfile: "$TMP/nsd.log"
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "bench.test"
    zonefile: "bench.test.zone"
EOF
  nsd-checkconf "$TMP/nsd.conf" || die "nsd-checkconf rejected $TMP/nsd.conf"
  nsd -d -c "$TMP/nsd.conf" >"$TMP/nsd.out" 2>&1 &
  track nsd $!
  wait_ready nsd "$NSD_ADDR" "$NSD_PORT" "$TMP/nsd.log"
}

# ---------------------------------------------------------------------------------------------
# The three forwarders.

# start_dnsfwd NAME ADDR [dnsfwd run arguments...]
# write_config FILE ADDR: a dnsfwd config answering on ADDR:53, bench.test routed to NSD.
write_config() {
  local addr=$2
  cat >"$1" <<EOF
listen: ["$addr:53"]
log_level: warn
routes:
  - zone: bench.test
    servers: ["$NSD_ADDR:$NSD_PORT"]
default:
  sources: []
  servers: []
EOF
}

start_dnsfwd() {
  local name=$1 addr=$2 cfg="$TMP/$1.yaml"
  shift 2
  write_config "$cfg" "$addr"
  (cd "$ROOT" && exec "$NODE" "${NODE_ARGS[@]}" dist/dnsfwd.mjs run --config "$cfg" --control-socket "" "${EXTRA_ARGS[@]}" "$@") >"$TMP/$name.log" 2>&1 &
  track "$name" "$(node_pid $!)"
  wait_ready "$name" "$addr" 53 "$TMP/$name.log"
}

# The node process itself: $NODE may be a wrapper that starts node as a child.
node_pid() {
  local pid=$1 child i
  for ((i = 0; i < 20; i++)); do
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == node ]] && { echo "$pid"; return; }
    child=$(ps -o pid=,comm= --ppid "$pid" | awk '$2 == "node" { print $1 }')
    [[ -n $child ]] && { echo "$child"; return; }
    sleep 0.1
  done
  echo "$pid"
}

start_unbound() {
  local addr=${ADDR[unbound]} port=${PORT[unbound]}
  cat >"$TMP/unbound.conf" <<EOF
server:
    interface: $addr@$port
    do-ip6: no
    num-threads: 1
    so-reuseport: no
    outgoing-range: 4096
    num-queries-per-thread: 2048
    msg-cache-size: 32m
    rrset-cache-size: 64m
    username: ""
    chroot: ""
    directory: "$TMP"
    pidfile: "$TMP/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    do-not-query-localhost: no
    local-zone: "test." nodefault
    local-zone: "bench.test." transparent
    local-zone: "." refuse
remote-control:
    control-enable: no
forward-zone:
    name: "bench.test"
    forward-addr: $NSD_ADDR@$NSD_PORT
EOF
  unbound-checkconf "$TMP/unbound.conf" >/dev/null || die "unbound-checkconf rejected $TMP/unbound.conf"
  unbound -d -c "$TMP/unbound.conf" >"$TMP/unbound.log" 2>&1 &
  track unbound $!
  wait_ready unbound "$addr" "$port" "$TMP/unbound.log"
}

start_dnsmasq() {
  local addr=${ADDR[dnsmasq]} port=${PORT[dnsmasq]}
  dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
    --listen-address="$addr" --port="$port" --server="/bench.test/$NSD_ADDR#$NSD_PORT" \
    --cache-size=10000 --dns-forward-max=1000 --user=root --pid-file= \
    --log-facility="$TMP/dnsmasq.log" >"$TMP/dnsmasq.out" 2>&1 &
  track dnsmasq $!
  wait_ready dnsmasq "$addr" "$port" "$TMP/dnsmasq.out"
}

# Waits up to 10 s until `name` answers h0.bench.test correctly; fails with its log otherwise.
wait_ready() {
  local name=$1 addr=$2 port=$3 log=$4 i
  for ((i = 0; i < 50; i++)); do
    kill -0 "${PID[$name]}" 2>/dev/null || die "$name exited at start: $(tail -5 "$log" 2>/dev/null)"
    [[ $(dig @"$addr" -p "$port" h0.bench.test A +short +time=1 +tries=1 2>/dev/null) == 10.0.0.0 ]] && return 0
    sleep 0.2
  done
  die "$name did not answer on $addr:$port within 10 s: $(tail -5 "$log" 2>/dev/null)"
}

# ---------------------------------------------------------------------------------------------
# Correctness: each system gives NOERROR and the right address, for a hit name and a wildcard name.

check_answer() {
  local name=$1 addr=$2 port=$3 qname=$4 want=$5 out status got
  out=$(dig @"$addr" -p "$port" "$qname" A +noall +comments +answer +time=2 +tries=2 2>&1) || true
  status=$(awk '/status:/ { sub(/.*status: /, ""); sub(/,.*/, ""); print; exit }' <<<"$out")
  got=$(awk '$4 == "A" { print $5 }' <<<"$out" | paste -sd, -)
  if [[ $status != NOERROR || $got != "$want" ]]; then
    FAILURES+=("$name: $qname gave status ${status:-none} and A ${got:-none}, want NOERROR $want")
    return 1
  fi
}

check_system() {
  local s=$1 ok=0
  check_answer "$s" "${ADDR[$s]}" "${PORT[$s]}" h42.bench.test "$(hit_addr 42)" || ok=1
  check_answer "$s" "${ADDR[$s]}" "${PORT[$s]}" h999.bench.test "$(hit_addr 999)" || ok=1
  check_answer "$s" "${ADDR[$s]}" "${PORT[$s]}" "check-$RANDOM$RANDOM.w.bench.test" 10.9.9.9 || ok=1
  kill -0 "${PID[$s]}" 2>/dev/null || { FAILURES+=("$s: process ${PID[$s]} is gone"); ok=1; }
  return "$ok"
}

check_all() {
  local when=$1 s bad=0
  for s in "${SYSTEMS[@]}"; do check_system "$s" || bad=1; done
  [[ $bad -eq 0 ]] || die "answer check $when failed: $(printf '%s; ' "${FAILURES[@]}")"
  say "answer check $when: every system answered NOERROR with the right addresses"
}

# ---------------------------------------------------------------------------------------------
# Load: dnsperf runs, the quiet-machine wait, and reading dnsperf's report.

# Share of CPU time busy over half a second, in percent, from /proc/stat.
cpu_busy() {
  local a b
  a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
  sleep 0.5
  b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x); split(b, y); t = (y[1] - x[1]) + (y[2] - x[2]);
    print (t > 0 ? int(100 * (y[1] - x[1]) / t) : 0) }'
}

# Before a measured run: waits (bounded) while another load (e.g. someone else's dnsperf) runs.
wait_quiet() {
  local what=$1 busy start=$SECONDS
  while busy=$(cpu_busy) && ((busy > 25)); do
    if ((SECONDS - start >= QUIET_WAIT)); then
      warn "machine ${busy}% busy before $what even after waiting ${QUIET_WAIT} s: figures disturbed"
      return
    fi
    sleep 1
  done
}

# Host-wide count of UDP datagrams dropped because a socket's receive buffer was full.
udp_rcvbuf_errors() { awk '$1 == "Udp:" { if (!h) { for (i = 2; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RcvbufErrors"] }' /proc/net/snmp; }

# The `drops` column of /proc/net/udp summed over the sockets bound to ADDR:PORT (IPv4): the
# datagrams the kernel dropped at that listening socket alone (its receive buffer full).
socket_drops() {
  local hex o
  IFS=. read -r -a o <<<"$1"
  hex=$(printf '%02X%02X%02X%02X:%04X' "${o[3]}" "${o[2]}" "${o[1]}" "${o[0]}" "$2") # a little-endian word
  awk -v a="$hex" 'NR > 1 && $2 == a { n += $NF } END { print n + 0 }' /proc/net/udp
}

# dnsperf in the background so that a signal reaches the trap at once; output to `out`, and the
# kernel's UDP receive-buffer drops during the run appended as "UDP rcvbuf drops: N" (host-wide)
# and "Listener drops: N" (the target's listening socket, from -s and -p).
run_dnsperf() {
  local out=$1 rc=0 drops sdrops addr='' port=53 prev=''
  shift
  for a in "$@"; do
    [[ $prev == -s ]] && addr=$a
    [[ $prev == -p ]] && port=$a
    prev=$a
  done
  drops=$(udp_rcvbuf_errors)
  sdrops=$(socket_drops "$addr" "$port")
  dnsperf "$@" >"$out" 2>&1 &
  DNSPERF_PID=$!
  wait "$DNSPERF_PID" || rc=$?
  DNSPERF_PID=
  [[ $rc -eq 0 ]] || die "dnsperf failed ($rc): $(tail -5 "$out")"
  echo "UDP rcvbuf drops: $(($(udp_rcvbuf_errors) - drops))" >>"$out"
  echo "Listener drops: $(($(socket_drops "$addr" "$port") - sdrops))" >>"$out"
}

load_args() { echo -s "${ADDR[$1]}" -p "${PORT[$1]}" -c "$CLIENTS" -q "$OUTSTANDING" -T 1; }

# One field of dnsperf's final report, e.g. `report FILE 'Queries sent:'` → 1000.
report() { awk -v k="$2" '!done && (i = index($0, k)) { v = substr($0, i + length(k)); sub(/^[ \t]+/, "", v); print v; done = 1 }' "$1"; }
first_word() { awk '{ print $1 }' <<<"$1"; }

# p99 in ms over the answered queries of a `dnsperf -v` output ("> NOERROR name A 0.000123").
p99_ms() {
  awk '$1 == ">" && $2 != "T" && $2 != "I" && NF >= 5 {
         us = int($NF * 1e6 + 0.5); c[us]++; n++; if (us > max) max = us }
       END { if (!n) { print "n/a"; exit } t = n * 0.99; s = 0
             for (i = 0; i <= max; i++) { s += c[i]; if (s >= t) { printf "%.2f\n", i / 1000; exit } } }' "$1"
}

# Records sent/completed/lost/codes/qps/mean of a dnsperf report under R[key.*] and checks them.
record() {
  local key=$1 out=$2 sent completed lost codes noerr
  sent=$(first_word "$(report "$out" 'Queries sent:')")
  completed=$(first_word "$(report "$out" 'Queries completed:')")
  lost=$(first_word "$(report "$out" 'Queries lost:')")
  codes=$(report "$out" 'Response codes:')
  [[ -n $sent && -n $completed ]] || die "$key: no dnsperf report in $out: $(tail -5 "$out")"
  noerr=$(awk '{ for (i = 1; i < NF; i++) if ($i == "NOERROR") print $(i + 1) }' <<<"$codes")
  R[$key.sent]=$sent R[$key.completed]=$completed R[$key.lost]=$lost R[$key.codes]=$codes
  R[$key.qps]=$(first_word "$(report "$out" 'Queries per second:')")
  R[$key.drops]=$(report "$out" 'UDP rcvbuf drops:')
  R[$key.sdrops]=$(report "$out" 'Listener drops:')
  R[$key.mean]=$(awk '{ printf "%.2f", $1 * 1000 }' <<<"$(report "$out" 'Average Latency (s):')")
  if ((${noerr:-0} * 10 < completed * 9)); then
    FAILURES+=("$key: only ${noerr:-0} of $completed answers were NOERROR ($codes)")
  elif ((lost * 100 > sent)); then
    warn "$key: $lost of $sent queries lost (over 1%)"
  fi
}

# One pass of the hit names at 20 outstanding (a 200-query burst overflows dnsmasq's socket
# buffer and loses a few), repeated up to 3 times until every name was answered NOERROR.
warm() {
  local s=$1 out="$TMP/$1.warm.out" pass
  for pass in 1 2 3; do
    run_dnsperf "$out" -s "${ADDR[$s]}" -p "${PORT[$s]}" -c "$CLIENTS" -q 20 -T 1 -t 2 -d "$TMP/hits.txt" -n 1 -l 60
    record "$s.warm" "$out"
    [[ ${R[$s.warm.completed]} -eq $HITS && ${R[$s.warm.codes]} == "NOERROR $HITS (100.00%)" ]] && return
    warn "$s: warm-up pass $pass: ${R[$s.warm.completed]} of $HITS answered (${R[$s.warm.codes]})"
  done
  die "$s: warming the $HITS hit names failed 3 times"
}

# The hits run (qps, mean) and a second -v run of the same load for p99; the file cycles.
run_hits() {
  local s=$1 out="$TMP/$1.hits.out" vout="$TMP/$1.hits.v.out"
  wait_quiet "$s hits"
  run_dnsperf "$out" $(load_args "$s") -d "$TMP/hits.txt" -l "$DURATION"
  record "$s.hits" "$out"
  wait_quiet "$s hits (p99)"
  run_dnsperf "$vout" $(load_args "$s") -d "$TMP/hits.txt" -l "$P99_DURATION" -v
  record "$s.hitsv" "$vout"
  R[$s.hits.p99]=$(p99_ms "$vout")
  rm -f "$vout"
}

# A misses run over names never asked before; -n 1 stops at the end of the file instead of
# wrapping, and a run that reaches it is an error (the file must outlast the time limit).
miss_run() {
  local s=$1 key=$2 prefix=$3 seconds=$4 out=$5 names="$TMP/$1.$2.txt"
  shift 5
  write_names "$names" "$prefix" $((seconds * MISS_LINES_PER_SECOND))
  wait_quiet "$s $key"
  run_dnsperf "$out" $(load_args "$s") -d "$names" -n 1 -l "$seconds" "$@"
  rm -f "$names"
  grep -q 'Testing complete (time limit)' "$out" ||
    die "$s $key: dnsperf used up all $((seconds * MISS_LINES_PER_SECOND)) names before the time limit; raise MISS_LINES_PER_SECOND"
  record "$s.$key" "$out"
}

run_misses() {
  local s=$1 vout="$TMP/$1.misses.v.out"
  miss_run "$s" misses "${PREFIX[$s]}m" "$DURATION" "$TMP/$s.misses.out"
  miss_run "$s" missesv "${PREFIX[$s]}v" "$P99_DURATION" "$vout" -v
  R[$s.misses.p99]=$(p99_ms "$vout")
  rm -f "$vout"
}

# ---------------------------------------------------------------------------------------------
# dnsfwd's memory: peak RSS (VmHWM) of the benchmarked process, and of a fresh one after one pass of
# 10,000 distinct names at the warm-up's gentle load (20 outstanding), so the cache holds 10,000 entries.

# `pid` and its children: with server.workers > 1 (--workers N), the cluster workers.
family() { echo "$1"; ps -o pid= --ppid "$1" | awk '{ print $1 }'; }

# A /proc/PID/status field (VmHWM, VmRSS) in KiB, summed over `pid` and its children.
vm_kib() {
  local p v sum=0
  for p in $(family "$1"); do
    v=$(awk -v k="$2:" '$1 == k { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

# "" for one process, else " summed over N processes".
summed() { local n; n=$(family "$1" | wc -l); ((n > 1)) && echo " summed over $n processes" || true; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

rss_pass() {
  local out="$TMP/rss.out" pid
  start_dnsfwd dnsfwd-rss "$RSS_ADDR"
  pid=${PID[dnsfwd-rss]}
  R[rss.start]=$(vm_kib "$pid" VmRSS)
  write_names "$TMP/rss.txt" n "$RSS_NAMES"
  run_dnsperf "$out" -s "$RSS_ADDR" -p 53 -c "$CLIENTS" -q 20 -T 1 -t 2 -d "$TMP/rss.txt" -n 1 -l 60
  record rss "$out"
  [[ ${R[rss.completed]} -eq $RSS_NAMES ]] || warn "memory pass: ${R[rss.completed]} of $RSS_NAMES names answered"
  sleep 1
  R[rss.hwm]=$(vm_kib "$pid" VmHWM) R[rss.rss]=$(vm_kib "$pid" VmRSS) R[rss.summed]=$(summed "$pid")
  kill -TERM "$pid" && stop_wait "$pid"
}

# ---------------------------------------------------------------------------------------------
# The report.

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "n/a" }'; }
int() { awk -v a="$1" 'BEGIN { printf "%.0f", a }'; }
met() { awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { ok = (op == ">=" ? a >= b : a <= b); print (ok ? "met" : "NOT met") }'; }

row() {
  local s=$1
  printf '| %s | %s | %s / %s | %s | %s / %s |\n' "${LABEL[$s]}" \
    "$(int "${R[$s.hits.qps]}")" "${R[$s.hits.mean]}" "${R[$s.hits.p99]}" \
    "$(int "${R[$s.misses.qps]}")" "${R[$s.misses.mean]}" "${R[$s.misses.p99]}"
}

ratio_row() {
  local a=$1 b=$2
  printf '| %s / %s | %s | | %s | |\n' "${LABEL[$a]%% *}" "${LABEL[$b]%% *}" \
    "$(ratio "${R[$a.hits.qps]}" "${R[$b.hits.qps]}")" "$(ratio "${R[$a.misses.qps]}" "${R[$b.misses.qps]}")"
}

details() {
  local s k
  echo '| system | run | seconds | sent | completed | lost | UDP rcvbuf drops | listener drops | response codes | qps | mean ms |'
  echo '|---|---|---|---|---|---|---|---|---|---|---|'
  for s in "${SYSTEMS[@]}"; do
    for k in warm hits hitsv misses missesv; do
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${LABEL[$s]%% *}" "$(run_name "$k")" \
        "$(run_seconds "$k")" "${R[$s.$k.sent]}" "${R[$s.$k.completed]}" "${R[$s.$k.lost]}" "${R[$s.$k.drops]}" "${R[$s.$k.sdrops]}" \
        "${R[$s.$k.codes]}" "$(int "${R[$s.$k.qps]}")" "${R[$s.$k.mean]}"
    done
  done
}

run_name() {
  case $1 in
    warm) echo 'warm-up (1 pass, -q 20)' ;; hits) echo hits ;; hitsv) echo 'hits, -v (p99)' ;;
    misses) echo misses ;; missesv) echo 'misses, -v (p99)' ;;
  esac
}
run_seconds() { case $1 in warm) echo - ;; hits | misses) echo "$DURATION" ;; *) echo "$P99_DURATION" ;; esac; }

# The settings that make each system a fair, really-forwarding anchor (full files: see start_*).
anchors() {
  echo "Upstream: NSD $(nsd -v 2>&1 | awk 'NR == 1 { print $3 }') on $NSD_ADDR:$NSD_PORT (bench.test: $HITS A records," \
    "\`*.w\` wildcard, TTL 3600), \`server-count: 1\`, \`rrl-ratelimit: 0\`, \`rrl-whitelist-ratelimit: 0\`."
  echo "Unbound: forward-zone bench.test → NSD, \`num-threads: 1\`, \`module-config: \"iterator\"\`," \
    "\`do-not-query-localhost: no\`, \`local-zone: \"test.\" nodefault\` (and \".\" refuse: nothing else leaves)," \
    "\`so-reuseport: no\`, \`outgoing-range: 4096\`, \`num-queries-per-thread: 2048\`, msg/rrset cache 32m/64m."
  echo "dnsmasq: \`--server=/bench.test/$NSD_ADDR#$NSD_PORT --no-resolv --cache-size=10000 --dns-forward-max=1000\`." \
    "dnsfwd: route bench.test → NSD, no default servers, \`log_level: warn\`, cache defaults, run as the service files run it:" \
    "\`$NODE $NODE_FLAGS dist/dnsfwd.mjs run --config FILE\`."
}

machine() {
  local cpu
  cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  echo "Machine: $(nproc) cores, ${cpu:-unknown CPU}, Linux $(uname -r), Node $("$NODE" --version)," \
    "$(dnsperf -h 2>&1 | awk '/^Version/ { print "dnsperf " $2 }'), $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo "dnsfwd: $(git_state)."
}

git_state() {
  local head dirty=''
  head=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null) || { echo 'not a git checkout'; return; }
  (cd "$ROOT" && git --no-optional-locks diff --quiet HEAD -- src package.json 2>/dev/null) ||
    dirty=' with uncommitted changes in src/'
  echo "commit $head$dirty, built dist/, ${DNSFWD_ARGS:+extra arguments \`$DNSFWD_ARGS\`, }default cache settings"
}

write_report() {
  local fwd_hwm
  fwd_hwm=$(vm_kib "${PID[dnsfwd]}" VmHWM)
  echo "## Throughput: dnsfwd vs Unbound and dnsmasq"
  echo
  echo "| system | hits qps | hits mean / p99 ms | misses qps | misses mean / p99 ms |"
  echo "|---|---|---|---|---|"
  for s in "${SYSTEMS[@]}"; do row "$s"; done
  ratio_row dnsfwd dnsmasq
  ratio_row dnsfwd unbound
  if ((WORKERS > 1)); then
    ratio_row dnsfwdw dnsmasq
    ratio_row dnsfwdw unbound
  fi
  echo
  echo "Targets (ratios from this one run):"
  echo "- cache hits ≥ 0.85× dnsmasq: $(ratio "${R[dnsfwd.hits.qps]}" "${R[dnsmasq.hits.qps]}")," \
    "$(met "$(awk -v a="${R[dnsfwd.hits.qps]}" -v b="${R[dnsmasq.hits.qps]}" 'BEGIN { print a / b }')" '>=' 0.85)"
  echo "- misses ≥ 1.0× Unbound: $(ratio "${R[dnsfwd.misses.qps]}" "${R[unbound.misses.qps]}")," \
    "$(met "$(awk -v a="${R[dnsfwd.misses.qps]}" -v b="${R[unbound.misses.qps]}" 'BEGIN { print a / b }')" '>=' 1.0)"
  echo "- peak RSS ≤ 64 MiB with $RSS_NAMES names cached: $(mib "${R[rss.hwm]}") MiB" \
    "(fresh dnsfwd, VmHWM${R[rss.summed]} after one pass of ${R[rss.completed]} answered distinct names at 20 outstanding; VmRSS then $(mib "${R[rss.rss]}") MiB," \
    "at start $(mib "${R[rss.start]}") MiB), $(met "$(mib "${R[rss.hwm]}")" '<=' 64)"
  echo "- dnsfwd peak RSS over all the runs above: $(mib "$fwd_hwm") MiB (VmHWM of the node process$(summed "${PID[dnsfwd]}"))"
  if ((WORKERS > 1)); then
    echo "- with --workers $WORKERS (not the default): hits $(ratio "${R[dnsfwdw.hits.qps]}" "${R[dnsmasq.hits.qps]}") dnsmasq," \
      "misses $(ratio "${R[dnsfwdw.misses.qps]}" "${R[unbound.misses.qps]}") Unbound, peak RSS $(mib "$(vm_kib "${PID[dnsfwdw]}" VmHWM)") MiB$(summed "${PID[dnsfwdw]}")"
  fi
  echo
  echo "Load, the same for every system: \`dnsperf -s ADDR -p 53 -d FILE -c $CLIENTS -q $OUTSTANDING -T 1 -l $DURATION\`" \
    "over UDP; hits: the $HITS names h0..h$((HITS - 1)).bench.test, warmed by one pass first, cycled;" \
    "misses: unique names under *.w.bench.test (NSD wildcard), per system and run, never repeated (\`-n 1\`)."
  echo "qps and mean latency come from that run. p99 comes from a second run with the same load and \`-v\`" \
    "($P99_DURATION s, per-query latencies, µs resolution, answered queries only): dnsperf 2.10 has no" \
    "histogram, and \`-v\` (a write per answer) can cost it up to ~20% qps, so p99 may be slightly pessimistic;" \
    "that run's qps and mean are in the details. lost = no answer within dnsperf's 5 s timeout (UDP rcvbuf drops:" \
    "host-wide kernel count of datagrams dropped at a full socket buffer during the run; listener drops: the same" \
    "count for the system's own listening socket, from /proc/net/udp)."
  anchors
  echo
  details
  echo
  machine
  echo "Command: BENCH_SECONDS=$DURATION BENCH_P99_SECONDS=$P99_DURATION${DNSFWD_ARGS:+ DNSFWD_ARGS=\"$DNSFWD_ARGS\"} bash bench/throughput.sh" \
    "(\`npm run bench:throughput\`; \`npm run bench\` builds first)."
  local w
  for w in "${WARNINGS[@]}"; do echo "Warning: $w"; done
}

labels() {
  local fwd node unbound dnsmasq
  fwd=$(awk -F'"' '$2 == "version" { print $4 }' "$ROOT/package.json")
  node=$("$NODE" --version) unbound=$(unbound -V 2>&1 || true) dnsmasq=$(dnsmasq --version 2>&1 || true)
  LABEL[dnsfwd]="dnsfwd $fwd (Node ${node#v})"
  LABEL[dnsfwdw]="dnsfwd×$WORKERS $fwd (--workers $WORKERS)"
  LABEL[unbound]="Unbound $(awk '/^Version/ { print $2 }' <<<"$unbound"), 1 thread"
  LABEL[dnsmasq]="dnsmasq $(awk 'NR == 1 { print $3 }' <<<"$dnsmasq")"
}

main() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ensure_tools
  preflight
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/dnsfwd-throughput.XXXXXX")
  labels
  write_zone
  awk -v n="$HITS" 'BEGIN { for (i = 0; i < n; i++) printf "h%d.bench.test A\n", i }' >"$TMP/hits.txt"
  say "starting NSD, dnsfwd, Unbound and dnsmasq in $TMP"
  start_nsd
  start_dnsfwd dnsfwd "${ADDR[dnsfwd]}"
  ((WORKERS > 1)) && start_dnsfwd dnsfwdw "${ADDR[dnsfwdw]}" --workers "$WORKERS"
  start_unbound
  start_dnsmasq
  check_all "before the runs"
  local s
  for s in "${SYSTEMS[@]}"; do say "$s: warm-up and hits"; warm "$s"; run_hits "$s"; done
  for s in "${SYSTEMS[@]}"; do say "$s: misses"; run_misses "$s"; done
  check_all "after the runs"
  say "dnsfwd: memory with $RSS_NAMES names"
  rss_pass
  local report="$TMP/report.md"
  write_report >"$report"
  cat "$report"
  if [[ ${#FAILURES[@]} -gt 0 ]]; then
    printf 'FAILED: %s\n' "${FAILURES[@]}" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$RESULTS")"
  cp "$report" "$RESULTS"
  say "written to ${RESULTS#"$ROOT"/}"
}

# Sourced (bench/memory.sh reuses the anchors and the dnsperf helpers): define, do not run.
[[ ${BASH_SOURCE[0]} != "$0" ]] || main "$@"
