#!/usr/bin/env bash
# Memory and CPU of dnsfwd per entry point, under the load of throughput.sh: dnsperf (20 clients, 200
# queries outstanding) on (1) hits: 1,000 names, warmed by one pass, cycled; (2) misses: unique names
# forwarded to NSD. For each entry point (the table ENTRY_POINTS below) and phase: qps, qps ×
# dnsmasq's hits (same run), CPU time per answered query (utime + stime of the daemon from
# /proc/PID/stat over the phase ÷ dnsperf's completed queries), and the peaks of RssAnon and VmHWM
# (/proc/PID/status sampled every 100 ms; VmHWM reset at the start of each phase with
# `echo 5 > /proc/PID/clear_refs`). dnsmasq and Unbound take the same load in the same run (the
# anchors, and dnsmasq's hit qps for the ratio), and bench/floor-echo.mjs, a bare Node UDP server,
# the hits load (the floor Node's own UDP path puts under a hit). Then what the service entry
# point's peak under misses is made of (bench/peak-breakdown.sh, on /proc/PID/smaps saved at the
# highest VmRSS sampled).
# Run: npm run bench:memory (as root; `npm run build && npm run bundle` first). Markdown on stdout,
# also bench/results/memory-latest.md.
# Environment: BENCH_SECONDS (10: each phase), BENCH_QUIET_WAIT (60), BENCH_ENTRIES (labels,
# comma-separated; default all), BENCH_NET (127.0.8), NODE (node), BENCH_KEEP=1 (keep the temp dir, with every snapshot and dnsperf output).
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=throughput.sh
source "$HERE/throughput.sh"     # the anchors (NSD, Unbound, dnsmasq), dnsperf runs, checks
# shellcheck source=peak-breakdown.sh
source "$HERE/peak-breakdown.sh" # take_snapshot, breakdown

# ---------------------------------------------------------------------------------------------
# THE ENTRY POINTS: the one place they are defined. One a line: `label | command line`. The command
# runs in the repository root through `eval "exec COMMAND ARGS"`, so $NODE and $BIN
# expand and words split as in a shell; the bench appends the `run` arguments (--config FILE
# --control-socket FILE). $BIN is a directory holding `dnsfwd`, a symlink to package.json's
# bin.dnsfwd, as `npm install -g .` links it (started through its #! line). The daemon measured is
# the process that owns the UDP socket dnsfwd listens on (ss), whatever the command starts first;
# processes between the two (npm, a launcher that stays) are reported as resident parents.
ENTRY_POINTS='
service     | env DNSFWD_NODE=$NODE bin/dnsfwd run
npm start   | npm start --
bin         | $BIN/dnsfwd run
node main   | $NODE dist/cli/main.js run
node bundle | $NODE dist/dnsfwd.mjs run
'
# service: what systemd/dnsfwd.service (ExecStart) and openrc/dnsfwd run, /usr/sbin/dnsfwd, which
# is bin/dnsfwd; npm start: package.json's start script (bin/dnsfwd through npm); bin: the global
# install's `dnsfwd` (the link npm makes to bin/dnsfwd); node main and node bundle: the tsc
# build's and the single file's JS entry started by hand, without settings (they run the daemon
# again with them: a resident parent on a Node without process.execve).
# ---------------------------------------------------------------------------------------------

RESULTS="$ROOT/bench/results/memory-latest.md"
BREAKDOWN_TARGET=${BENCH_BREAKDOWN:-service/misses} # entry label/phase whose peak is broken down
NSD_ADDR=$NET.20
ENTRY_ADDR=$NET.21
ADDR[unbound]=$NET.22 ADDR[dnsmasq]=$NET.23
PREFIX[unbound]=um PREFIX[dnsmasq]=mm
CLK_TCK=$(getconf CLK_TCK)
declare -a ENTRY_LABEL=() ENTRY_CMD=()
declare -A WATCH=() SPAWNED=()
BIN=
LOAD_START= LOAD_END=
SAMPLER_PID=

die() { printf 'memory.sh: %s\n' "$*" >&2; exit 1; }

# Fills ENTRY_LABEL/ENTRY_CMD from ENTRY_POINTS, keeping those BENCH_ENTRIES names (all by default).
parse_entries() {
  local line label cmd want=",${BENCH_ENTRIES:-},"
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*$ ]] && continue
    label=$(sed -E 's/^[[:space:]]*//; s/[[:space:]]*\|.*//' <<<"$line")
    cmd=$(sed -E 's/^[^|]*\|[[:space:]]*//; s/[[:space:]]*$//' <<<"$line")
    [[ -z ${BENCH_ENTRIES:-} || $want == *",$label,"* ]] || continue
    ENTRY_LABEL+=("$label") ENTRY_CMD+=("$cmd")
  done <<<"$ENTRY_POINTS"
  ((${#ENTRY_LABEL[@]} > 0)) || die "BENCH_ENTRIES=${BENCH_ENTRIES:-} names no entry point of: $(sed -E '/^$/d; s/ *\|.*//' <<<"$ENTRY_POINTS" | paste -sd, -)"
}

# $BIN/dnsfwd → package.json's bin.dnsfwd, executable (npm sets the mode when it links a bin).
make_bin() {
  local target
  target=$(cd "$ROOT" && node -p 'const b = require("./package.json").bin; typeof b === "string" ? b : b.dnsfwd')
  [[ -f $ROOT/$target ]] || die "package.json's bin.dnsfwd ($target) is not built: npm run build first"
  [[ -x $ROOT/$target ]] || { chmod +x "$ROOT/$target"; say "made $target executable, as npm install -g does"; }
  BIN="$TMP/bin"
  mkdir -p "$BIN"
  ln -s "$ROOT/$target" "$BIN/dnsfwd"
}

mem_preflight() {
  [[ $(id -u) -eq 0 ]] || die "run as root: the forwarders listen on port 53"
  [[ -f $ROOT/dist/dnsfwd.mjs && -f $ROOT/dist/cli/main.js ]] || die "run npm run build && npm run bundle first"
  [[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be whole seconds"
  local a
  for a in "$ENTRY_ADDR" "${ADDR[unbound]}" "${ADDR[dnsmasq]}"; do port_free "$a" 53; done
  port_free "$NSD_ADDR" "$NSD_PORT"
  echo 5 2>/dev/null >/proc/self/clear_refs || die "cannot reset VmHWM here (echo 5 > /proc/PID/clear_refs: Linux 4.0 or later)"
}

# ---------------------------------------------------------------------------------------------
# Processes: the listener's owner, its resident parents, CPU ticks.

# PIDs owning a UDP socket bound to addr:port.
listener_pids() { ss -Hulpn "src = $1:$2" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -un; }

ppid_of() { local l; read -r l <"/proc/$1/stat" && l=${l##*) } && set -- $l && echo "$2"; }

# The listener's owner among several (a cluster): the one whose parent is not one of them.
daemon_of() {
  local p pids
  pids=$(listener_pids "$1" "$2")
  for p in $pids; do grep -qx "$(ppid_of "$p")" <<<"$pids" || { echo "$p"; return; }; done
}

# The processes from `spawned` down to the daemon's parent (empty when the daemon is `spawned`).
parents_of() {
  local daemon=$1 spawned=$2 p chain=()
  p=$daemon
  while [[ $p != "$spawned" ]]; do
    p=$(ppid_of "$p" 2>/dev/null) || return 0
    [[ -z $p || $p -le 1 ]] && { warn "the daemon $daemon does not descend from the process started ($spawned): no parents counted"; return 0; }
    chain+=("$p")
  done
  echo "${chain[*]}"
}

# utime + stime in clock ticks, summed over the PIDs given.
cpu_ticks() {
  local p l sum=0 f
  for p in "$@"; do
    read -r l <"/proc/$p/stat" 2>/dev/null || continue
    read -r -a f <<<"${l##*) }"
    sum=$((sum + f[11] + f[12]))
  done
  echo "$sum"
}

# Forgets PIDs that have exited, so that cleanup() signals no process that reuses their number.
untrack() {
  local p q keep=()
  for p in "${STARTED_PIDS[@]}"; do
    for q in "$@"; do [[ $p == "$q" ]] && continue 2; done
    keep+=("$p")
  done
  STARTED_PIDS=("${keep[@]}")
}

status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

# ---------------------------------------------------------------------------------------------
# Sampling /proc/PID/status every 100 ms in the background, with bash builtins only (a read with a
# timeout on a FIFO nobody writes to is the sleep), so the sampler costs next to nothing.

# sampler OUT STOPFILE SNAPDIR PID...: the highest RssAnon, VmRSS and VmHWM of each PID, one line
# each in OUT when STOPFILE appears; with SNAPDIR, the first PID's smaps, status and stack pointers
# are saved there when its VmRSS reaches a new high by 1 MiB or more, at most once a second (a
# snapshot takes tens of milliseconds on a busy machine: not at every sample while the cache
# fills), and at the end if VmRSS is higher then than at the last snapshot.
sampler() {
  set +e
  local out=$1 stop=$2 snap=$3 fd k v i p n=0 snapped=0 snap_at=0 last=0
  shift 3
  local -a pids=("$@") ra=() rs=() hw=()
  for i in "${!pids[@]}"; do ra[i]=0 rs[i]=0 hw[i]=0; done
  exec {fd}<>"$TMP/tick.fifo"
  while :; do
    for i in "${!pids[@]}"; do
      p=${pids[i]}
      while read -r k v _; do
        case $k in
          RssAnon:) if ((v > ra[i])); then ra[i]=$v; fi ;;
          VmHWM:) if ((v > hw[i])); then hw[i]=$v; fi ;;
          VmRSS:)
            [[ $i == 0 ]] && last=$v
            if ((v > rs[i])); then
              rs[i]=$v
              if [[ $i == 0 && -n $snap ]] && ((v >= snapped + 1024 && EPOCHSECONDS > snap_at)); then
                snapped=$v snap_at=$EPOCHSECONDS
                take_snapshot "$p" "$snap.new" && rm -rf "$snap" && mv "$snap.new" "$snap"
              fi
            fi ;;
        esac
      done <"/proc/$p/status"
    done
    n=$((n + 1))
    [[ -e $stop ]] && break
    read -r -t 0.1 -u "$fd" _
  done
  if [[ -n $snap ]] && ((last > snapped)); then # the phase's end, higher than the last snapshot
    take_snapshot "${pids[0]}" "$snap.new" && rm -rf "$snap" && mv "$snap.new" "$snap"
  fi
  for i in "${!pids[@]}"; do echo "${pids[i]} ${ra[i]} ${rs[i]} ${hw[i]}"; done >"$out"
  echo "samples $n" >>"$out"
}

# ---------------------------------------------------------------------------------------------
# Phases.

# measure SYSTEM PHASE DNSPERF-ARGS...: one dnsperf run against SYSTEM with its processes
# (WATCH[SYSTEM]: the daemon first) sampled; results under R[SYSTEM.PHASE.*].
measure() {
  local s=$1 phase=$2 key="$1.$2" out="$TMP/$1.$2.out" p snap='' i a b c
  shift 2
  local -a pids
  read -r -a pids <<<"${WATCH[$s]}"
  wait_quiet "${LABEL[$s]:-$s} $phase"
  R[$key.prehwm]=$(status_kib "${pids[0]}" VmHWM) # since the start or the last phase
  for p in "${pids[@]}"; do echo 5 >"/proc/$p/clear_refs"; done
  [[ $s/$phase == "$BREAKDOWN_KEY" ]] && snap="$TMP/peak.$s.$phase"
  rm -f "$TMP/stop"
  local t0 t0p
  t0=$(cpu_ticks "${pids[0]}") t0p=$(cpu_ticks "${pids[@]:1}")
  sampler "$TMP/$key.samples" "$TMP/stop" "$snap" "${pids[@]}" &
  SAMPLER_PID=$!
  STARTED_PIDS+=("$SAMPLER_PID")
  run_dnsperf "$out" $(load_args "$s") "$@"
  R[$key.ticks]=$(($(cpu_ticks "${pids[0]}") - t0)) R[$key.pticks]=$(($(cpu_ticks "${pids[@]:1}") - t0p))
  touch "$TMP/stop"
  wait "$SAMPLER_PID" || die "the sampler of $key failed"
  untrack "$SAMPLER_PID"
  SAMPLER_PID=
  record "$key" "$out"
  i=0
  while read -r p a b c; do
    if [[ $p == samples ]]; then R[$key.samples]=$a; continue; fi
    if ((i == 0)); then
      R[$key.anon]=$a R[$key.rss]=$b R[$key.hwm]=$c
    else
      R[$key.panon]=$((${R[$key.panon]:-0} + a))
      R[$key.pdesc]+="${R[$key.pdesc]:+, }$(cat "/proc/$p/comm" 2>/dev/null || echo '?') ($p) $(mib "$a")"
    fi
    i=$((i + 1))
  done <"$TMP/$key.samples"
  # Right after the phase, smaps again with V8's own figures at the same moment, to check the
  # breakdown's V8 row against heapTotal (the peak's snapshot cannot ask the daemon mid-phase).
  [[ -n $snap ]] && take_snapshot "${pids[0]}" "$snap.after" "${SOCKET[$s]:-}"
  return 0
}

hits_phase() { warm "$1"; measure "$1" "${2:-hits}" -d "$TMP/hits.txt" -l "$DURATION"; }

misses_phase() {
  local s=$1 names="$TMP/$1.misses.txt"
  write_names "$names" "${PREFIX[$s]}m" $((DURATION * MISS_LINES_PER_SECOND))
  measure "$s" misses -d "$names" -n 1 -l "$DURATION"
  rm -f "$names"
  grep -q 'Testing complete (time limit)' "$TMP/$s.misses.out" ||
    die "$s misses: dnsperf used up all its names before the time limit; raise MISS_LINES_PER_SECOND"
}

# An anchor (unbound, dnsmasq), started by throughput.sh's start_*: the listener's owner is watched.
watch_anchor() { WATCH[$1]=$(daemon_of "${ADDR[$1]}" 53); [[ -n ${WATCH[$1]} ]] || die "$1: no process owns ${ADDR[$1]}:53"; }

declare -A SOCKET=()

# start_entry KEY LABEL COMMAND: an entry point's command with a config of its own; waits until the
# daemon answers, then watches it and its resident parents.
start_entry() {
  local s=$1 label=$2 cmd=$3 cfg="$TMP/$1.yaml" sock="$TMP/$1.sock" spawned daemon='' i
  write_config "$cfg" "$ENTRY_ADDR"
  SOCKET[$s]=$sock
  (
    cd "$ROOT" && set -- --config "$cfg" --control-socket "$sock"
    eval "exec $cmd \"\$@\""
  ) >"$TMP/$s.log" 2>&1 &
  spawned=$!
  STARTED_PIDS+=("$spawned")
  SPAWNED[$s]=$spawned
  for ((i = 0; i < 150; i++)); do
    daemon=$(daemon_of "$ENTRY_ADDR" 53)
    if [[ -n $daemon ]] && [[ $(dig @"$ENTRY_ADDR" h0.bench.test A +short +time=1 +tries=1 2>/dev/null) == 10.0.0.0 ]]; then break; fi
    kill -0 "$spawned" 2>/dev/null || [[ -n $daemon ]] || die "$label: exited at start: $(tail -5 "$TMP/$s.log")"
    daemon=
    sleep 0.1
  done
  [[ -n $daemon ]] || die "$label: did not answer on $ENTRY_ADDR:53 within 15 s: $(tail -5 "$TMP/$s.log")"
  STARTED_PIDS+=("$daemon")
  PID[$s]=$daemon ADDR[$s]=$ENTRY_ADDR PORT[$s]=53 LABEL[$s]=$label
  WATCH[$s]="$daemon $(parents_of "$daemon" "$spawned")"
  R[$s.start]=$(status_kib "$daemon" VmRSS)
  say "$label: daemon $daemon, resident parents: $(parents_of "$daemon" "$spawned" | sed 's/^$/none/')"
}

stop_entry() {
  local s=$1 p
  for p in ${WATCH[$s]}; do R[$s.cmdline.$p]=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | sed 's/ *$//' || true); done
  kill -TERM "${PID[$s]}" 2>/dev/null || true
  stop_wait "${PID[$s]}"
  kill -TERM "${SPAWNED[$s]}" 2>/dev/null || true
  stop_wait "${SPAWNED[$s]}"
  untrack ${WATCH[$s]} "${SPAWNED[$s]}"
}

run_entry() {
  local idx=$1 s="e$1"
  PREFIX[$s]="e$1"
  say "${ENTRY_LABEL[$idx]}: start"
  start_entry "$s" "${ENTRY_LABEL[$idx]}" "${ENTRY_CMD[$idx]}"
  check_system "$s" || die "${ENTRY_LABEL[$idx]}: answer check failed: $(printf '%s; ' "${FAILURES[@]}")"
  say "${ENTRY_LABEL[$idx]}: warm-up and hits"
  hits_phase "$s"
  say "${ENTRY_LABEL[$idx]}: misses"
  misses_phase "$s"
  check_system "$s" || die "${ENTRY_LABEL[$idx]}: answer check after the runs failed: $(printf '%s; ' "${FAILURES[@]}")"
  stop_entry "$s"
}

# The floor under a hit: bench/floor-echo.mjs, the least a Node UDP server does to answer, under
# dnsfwd's own node flags, takes the hits load; what dnsfwd spends above it is dnsfwd's.
FLOOR_LABEL='Node echo floor'
run_floor() {
  PREFIX[floor]=floor
  say "$FLOOR_LABEL: start"
  start_entry floor "$FLOOR_LABEL" "env FLOOR_LISTEN=$ENTRY_ADDR \$NODE $NODE_FLAGS bench/floor-echo.mjs"
  say "$FLOOR_LABEL: warm-up and hits"
  hits_phase floor
  stop_entry floor
}

# ---------------------------------------------------------------------------------------------
# The report.

us_per_query() { awk -v t="$1" -v hz="$CLK_TCK" -v q="$2" 'BEGIN { if (q > 0) printf "%.1f", t * 1e6 / hz / q; else print "n/a" }'; }
qps() { int "${R[$1.qps]}"; }

phase_name() { case $1 in hits2) echo 'hits, again at the end' ;; *) echo "$1" ;; esac; }

mem_row() {
  local name=$1 key=$2 base=$DNSMASQ_HITS
  [[ $key == *.misses ]] && base=${R[dnsmasq.misses.qps]}
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(phase_name "${key##*.}")" "$(qps "$key")" \
    "$(ratio "${R[$key.qps]}" "$base")" "$(us_per_query "${R[$key.ticks]}" "${R[$key.completed]}")" \
    "$(mib "${R[$key.anon]}")" "$(mib "${R[$key.hwm]}")" "$(mib "${R[$key.rss]}")" \
    "$([[ -n ${R[$key.panon]:-} ]] && echo "$(mib "${R[$key.panon]}") ($(us_per_query "${R[$key.pticks]}" "${R[$key.completed]}") µs/q)" || echo -)"
}

mem_details() {
  local s k
  echo '| system | phase | seconds | sent | completed | lost | listener drops | response codes | daemon CPU ticks | samples | resident parents: peak RssAnon MiB |'
  echo '|---|---|---|---|---|---|---|---|---|---|---|'
  for s in "${DETAIL_KEYS[@]}"; do
    k=$s
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${LABEL[${k%%.*}]}" "$(phase_name "${k#*.}")" "$DURATION" \
      "${R[$k.sent]}" "${R[$k.completed]}" "${R[$k.lost]}" "${R[$k.sdrops]}" "${R[$k.codes]}" "${R[$k.ticks]}" \
      "${R[$k.samples]}" "${R[$k.pdesc]:--}"
  done
}

write_mem_report() {
  local i s key
  echo "## Memory and CPU per entry point"
  echo
  echo "| entry point | phase | qps | × dnsmasq | CPU µs/query | peak RssAnon MiB | peak VmHWM MiB | max VmRSS sampled MiB | resident parents: RssAnon MiB (CPU) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for i in "${!ENTRY_LABEL[@]}"; do
    s="e$i"
    mem_row "${ENTRY_LABEL[$i]}" "$s.hits"
    mem_row "${ENTRY_LABEL[$i]}" "$s.misses"
  done
  mem_row "${LABEL[dnsmasq]}" dnsmasq.hits
  mem_row "${LABEL[dnsmasq]}" dnsmasq.hits2
  mem_row "${LABEL[dnsmasq]}" dnsmasq.misses
  mem_row "${LABEL[unbound]}" unbound.hits
  mem_row "${LABEL[unbound]}" unbound.misses
  mem_row "$FLOOR_LABEL" floor.hits
  echo
  echo "Targets: peak RssAnon ≤ 24 MiB and peak VmHWM ≤ 64 MiB in every phase; hits ≥ 0.9× dnsmasq; CPU µs/query −20% from before-issue13.md."
  for i in "${!ENTRY_LABEL[@]}"; do
    s="e$i"
    local anon hwm
    anon=$(awk -v a="${R[$s.hits.anon]}" -v b="${R[$s.misses.anon]}" 'BEGIN { print (a > b ? a : b) }')
    hwm=$(awk -v a="${R[$s.hits.hwm]}" -v b="${R[$s.misses.hwm]}" 'BEGIN { print (a > b ? a : b) }')
    echo "- ${ENTRY_LABEL[$i]}: RssAnon $(mib "$anon") MiB, $(met "$(mib "$anon")" '<=' 24);" \
      "VmHWM $(mib "$hwm") MiB, $(met "$(mib "$hwm")" '<=' 64) (start-up and warm-up, before the first reset: $(mib "${R[$s.hits.prehwm]}") MiB);" \
      "hits $(ratio "${R[$s.hits.qps]}" "$DNSMASQ_HITS") dnsmasq, $(met "$(awk -v a="${R[$s.hits.qps]}" -v b="$DNSMASQ_HITS" 'BEGIN { print a / b }')" '>=' 0.9)" \
      "($(ratio "${R[$s.hits.qps]}" "${R[floor.hits.qps]}") the Node echo floor)"
  done
  echo "- $FLOOR_LABEL (bench/floor-echo.mjs under \`$NODE_FLAGS\`: a bare dgram server answering every query with one A record):" \
    "hits $(ratio "${R[floor.hits.qps]}" "$DNSMASQ_HITS") dnsmasq at $(us_per_query "${R[floor.hits.ticks]}" "${R[floor.hits.completed]}") µs/query," \
    "against $(us_per_query "${R[dnsmasq.hits.ticks]}" "${R[dnsmasq.hits.completed]}") for dnsmasq: what Node's UDP receive and send cost before dnsfwd does anything."
  echo
  echo "Entry points (bench/memory.sh ENTRY_POINTS; \`run --config FILE --control-socket FILE\` appended; the daemon is the owner of the UDP socket on $ENTRY_ADDR:53):"
  for i in "${!ENTRY_LABEL[@]}"; do
    s="e$i"
    echo "- ${ENTRY_LABEL[$i]}: \`${ENTRY_CMD[$i]}\` → daemon \`${R[$s.cmdline.${PID[$s]}]% }\`$(parents_line "$s")"
  done
  echo
  echo "Load: \`dnsperf -c $CLIENTS -q $OUTSTANDING -T 1 -l $DURATION\` (UDP) per phase; hits: the $HITS names h0..h$((HITS - 1)).bench.test" \
    "after one warm-up pass, cycled; misses: unique names under *.w.bench.test, never repeated, forwarded to NSD." \
    "× dnsmasq: hits qps ÷ the mean of dnsmasq's two hits runs ($(int "${R[dnsmasq.hits.qps]}") before the entry points, $(int "${R[dnsmasq.hits2.qps]}") after);" \
    "misses qps ÷ dnsmasq's misses qps." \
    "CPU µs/query: utime + stime of the daemon over the phase (/proc/PID/stat, ${CLK_TCK} Hz ticks) ÷ the queries dnsperf counted answered;" \
    "the resident parents' CPU is apart. Memory: /proc/PID/status sampled every 100 ms during the phase; VmHWM reset at the phase's start" \
    "(\`echo 5 > /proc/PID/clear_refs\`), so it is the phase's own peak (it also catches what falls between two samples);" \
    "RssAnon is the peak of the samples. Anchors as in throughput.sh: NSD on $NSD_ADDR:$NSD_PORT, Unbound (1 thread) on ${ADDR[unbound]}, dnsmasq on ${ADDR[dnsmasq]}."
  echo
  mem_details
  if [[ -n $BREAKDOWN_SNAP && -s $BREAKDOWN_SNAP/smaps ]]; then
    echo
    echo "### What the peak of ${BREAKDOWN_TARGET%/*} under ${BREAKDOWN_TARGET#*/} is made of"
    echo
    echo "/proc/PID/smaps saved near the phase's peak (when VmRSS had risen by 1 MiB, at most once a second, and at the phase's end if higher:" \
      "compare VmRSS below with the phase's VmHWM above), printed by \`bash bench/peak-breakdown.sh --snapshot DIR\`:"
    echo
    breakdown "$BREAKDOWN_SNAP"
    if [[ -s $BREAKDOWN_SNAP.after/smaps ]]; then
      echo
      echo "The same, read right after the phase, with V8's own figures (\`dnsfwd status --json\`) read just after smaps:"
      echo
      breakdown "$BREAKDOWN_SNAP.after"
    fi
  fi
  echo
  machine
  echo "src/ last changed in commit $(cd "$ROOT" && git log -1 --format=%h -- src 2>/dev/null || echo '?')."
  echo "Load average: ${LOAD_START} at the start, ${LOAD_END} at the end."
  echo "Command: BENCH_SECONDS=$DURATION BENCH_QUIET_WAIT=$QUIET_WAIT${BENCH_ENTRIES:+ BENCH_ENTRIES=\"$BENCH_ENTRIES\"} bash bench/memory.sh" \
    "(\`npm run bench:memory\`; \`npm run bench\` builds first)."
  local w
  for w in "${WARNINGS[@]}"; do echo "Warning: $w"; done
}

parents_line() {
  local s=$1 p out='' parents
  read -r _ parents <<<"${WATCH[$s]}"
  [[ -z $parents ]] && { echo ', no resident parent'; return; }
  for p in $parents; do out+="${out:+, }\`${R[$s.cmdline.$p]}\`"; done
  echo ", resident parents: $out"
}

load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

memory_main() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ensure_tools
  parse_entries
  mem_preflight
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/dnsfwd-memory.XXXXXX")
  mkfifo "$TMP/tick.fifo"
  LOAD_START=$(load_avg)
  labels
  make_bin
  BREAKDOWN_KEY='' BREAKDOWN_SNAP=''
  local i
  for i in "${!ENTRY_LABEL[@]}"; do
    if [[ ${ENTRY_LABEL[$i]}/${BREAKDOWN_TARGET#*/} == "$BREAKDOWN_TARGET" ]]; then
      BREAKDOWN_KEY="e$i/${BREAKDOWN_TARGET#*/}" BREAKDOWN_SNAP="$TMP/peak.e$i.${BREAKDOWN_TARGET#*/}"
    fi
  done
  write_zone
  awk -v n="$HITS" 'BEGIN { for (i = 0; i < n; i++) printf "h%d.bench.test A\n", i }' >"$TMP/hits.txt"
  say "starting NSD, Unbound and dnsmasq in $TMP"
  start_nsd
  start_unbound
  start_dnsmasq
  SYSTEMS=(unbound dnsmasq)
  check_all "before the runs"
  watch_anchor dnsmasq
  watch_anchor unbound
  DETAIL_KEYS=()
  say "dnsmasq: warm-up, hits, misses"
  hits_phase dnsmasq
  misses_phase dnsmasq
  run_floor
  say "unbound: warm-up, hits, misses"
  hits_phase unbound
  misses_phase unbound
  for i in "${!ENTRY_LABEL[@]}"; do run_entry "$i"; done
  say "dnsmasq: hits again"
  measure dnsmasq hits2 -d "$TMP/hits.txt" -l "$DURATION"
  check_all "after the runs"
  DNSMASQ_HITS=$(awk -v a="${R[dnsmasq.hits.qps]}" -v b="${R[dnsmasq.hits2.qps]}" 'BEGIN { print (a + b) / 2 }')
  for i in "${!ENTRY_LABEL[@]}"; do DETAIL_KEYS+=("e$i.hits" "e$i.misses"); done
  DETAIL_KEYS+=(dnsmasq.hits dnsmasq.hits2 dnsmasq.misses unbound.hits unbound.misses floor.hits)
  LOAD_END=$(load_avg)
  local report="$TMP/report.md"
  write_mem_report >"$report"
  cat "$report"
  if [[ ${#FAILURES[@]} -gt 0 ]]; then
    printf 'FAILED: %s\n' "${FAILURES[@]}" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$RESULTS")"
  cp "$report" "$RESULTS"
  say "written to ${RESULTS#"$ROOT"/}"
}

memory_main "$@"
