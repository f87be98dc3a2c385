#!/usr/bin/env bash
# What a dnsfwd process's resident memory is made of, from /proc/PID/smaps: the node binary's own
# file pages (and libnode's, for a dynamically linked Node), V8's heap and code range, glibc's heap
# ([heap] and the malloc arenas), thread stacks, shared libraries and the rest. Prints a Markdown table.
#
#   bash bench/peak-breakdown.sh PID [CONTROL_SOCKET]   # a live process, now (as root, or its owner)
#   bash bench/peak-breakdown.sh --snapshot DIR         # a snapshot bench/memory.sh took at a peak
#
# With CONTROL_SOCKET (or DIR/heap.json), V8's own figures (`dnsfwd status --json`: heapTotal,
# heapUsed) are printed beside the mappings counted as V8's heap.
#
# How mappings are told apart (x86-64 Linux, glibc, Node 18-22 without pointer compression):
# - file pages: mappings of /proc/PID/exe (the node binary, including the embedded builtins V8 remaps
#   next to its code range) and of any libnode*.so; their Anonymous part (copy-on-write .data) and
#   the anonymous .bss right after the binary are counted apart, as the binary's static data;
# - V8 heap: anonymous mappings below 0x400000000000. V8 asks mmap for random addresses under that
#   bound (GetRandomMmapAddr) for its 256 KiB pages and large objects; glibc's mmaps, the arenas and
#   the libraries sit near 0x7f..., the brk heap right after the (non-PIE) binary, named [heap];
# - V8 code range: the contiguous run (other than stacks and arenas) of anonymous mappings around a reservation of 128 MiB or more
#   (PROT_NONE), holding the JIT code (rwx pages) and their guard pages;
# - malloc arenas: a 64 MiB-aligned anonymous mapping, alone 64 MiB or followed by the PROT_NONE rest
#   of the 64 MiB (glibc's HEAP_MAX_SIZE on 64-bit);
# - thread stacks: [stack] (the main thread), the mappings holding each thread's stack pointer
#   (/proc/PID/task/*/syscall), and any anonymous mapping of 1 MiB or more right after a one-page
#   PROT_NONE guard (a thread that was running when the pointers were read);
# - other anonymous: the rest (malloc's mmapped blocks of 128 KiB and more, TLS, libuv, ...).
set -euo pipefail
export LC_ALL=C

usage() { echo "usage: $0 PID [CONTROL_SOCKET] | --snapshot DIR" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# take_snapshot PID DIR [CONTROL_SOCKET]: smaps, status, the threads' syscall lines (stack pointers),
# the binary's path and, with a control socket, `dnsfwd status --json`.
take_snapshot() {
  local pid=$1 dir=$2 sock=${3:-} t line
  mkdir -p "$dir"
  cat "/proc/$pid/smaps" >"$dir/smaps"
  cat "/proc/$pid/status" >"$dir/status"
  readlink "/proc/$pid/exe" >"$dir/exe"
  for t in /proc/"$pid"/task/*/syscall; do read -r line <"$t" && echo "$line"; done >"$dir/stacks" 2>/dev/null || true
  if [[ -n $sock ]]; then
    node "$ROOT/dist/cli/main.js" status --json --control-socket "$sock" >"$dir/heap.json" 2>/dev/null || rm -f "$dir/heap.json"
  fi
}

# breakdown DIR: the table.
breakdown() {
  local dir=$1 exe heap_total='' heap_used=''
  exe=$(cat "$dir/exe")
  if [[ -s $dir/heap.json ]]; then
    heap_total=$(awk -F'[:,]' '/"heapTotal"/ { gsub(/ /, "", $2); print $2; exit }' "$dir/heap.json")
    heap_used=$(awk -F'[:,]' '/"heapUsed"/ { gsub(/ /, "", $2); print $2; exit }' "$dir/heap.json")
  fi
  awk -v exe="$exe" -v heap_total="$heap_total" -v heap_used="$heap_used" -v statusfile="$dir/status" '
    function hex(x,   i, n) { n = 0; x = tolower(x); sub(/^0x/, "", x)
      for (i = 1; i <= length(x); i++) n = n * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1
      return n }
    function mib(k) { return sprintf("%.1f", k / 1024) }
    FILENAME ~ /stacks$/ { if (NF >= 3 && $1 != "running") sp[++nsp] = hex($(NF - 1)); next }
    /^[0-9a-f]+-[0-9a-f]+ / {
      n++; split($1, a, "-"); s[n] = hex(a[1]); e[n] = hex(a[2]); perm[n] = $2
      p = ""; for (i = 6; i <= NF; i++) p = p (i > 6 ? " " : "") $i; path[n] = p
      rss[n] = 0; anon[n] = 0; cat[n] = ""; next }
    $1 == "Rss:" { rss[n] = $2; next }
    $1 == "Anonymous:" { anon[n] = $2; next }
    END {
      MB64 = 64 * 1024 * 1024; LOW = hex("400000000000")
      for (i = 1; i <= n; i++) {
        if (path[i] == exe) cat[i] = "exe"
        else if (path[i] ~ /\/libnode[^\/]*\.so/) cat[i] = "libnode"
        else if (path[i] == "" && i > 1 && (cat[i - 1] == "exe" || cat[i - 1] == "libnode") && s[i] == e[i - 1]) cat[i] = cat[i - 1] "bss"
      }
      for (i = 1; i <= n; i++) {   # malloc arenas
        if (cat[i] != "" || path[i] != "" || s[i] < LOW || s[i] % MB64 != 0) continue
        if (e[i] - s[i] == MB64) cat[i] = "arena"
        else if (i < n && path[i + 1] == "" && perm[i + 1] == "---p" && s[i + 1] == e[i] && e[i + 1] - s[i] == MB64) { cat[i] = "arena"; cat[i + 1] = "arena" }
      }
      for (i = 1; i <= n; i++) {   # stacks
        if (cat[i] != "") continue
        if (path[i] == "[stack]") { cat[i] = "stack"; continue }
        if (path[i] != "") continue
        for (k = 1; k <= nsp; k++) if (sp[k] >= s[i] && sp[k] < e[i]) { cat[i] = "stack"; break }
        if (cat[i] == "" && i > 1 && perm[i] == "rw-p" && e[i] - s[i] >= 1024 * 1024 && perm[i - 1] == "---p" && path[i - 1] == "" && e[i - 1] == s[i] && e[i - 1] - s[i - 1] == 4096) cat[i] = "stack"
        if (cat[i] == "stack" && i > 1 && perm[i - 1] == "---p" && path[i - 1] == "" && cat[i - 1] == "" && e[i - 1] == s[i] && e[i - 1] - s[i - 1] <= 65536) cat[i - 1] = "stack"
      }
      for (i = 1; i <= n; i++) {   # V8 code range: around a big PROT_NONE reservation
        if (cat[i] != "" || path[i] != "" || perm[i] != "---p" || e[i] - s[i] < 128 * 1024 * 1024) continue
        cat[i] = "code"
        for (j = i - 1; j >= 1 && s[j + 1] == e[j] && (cat[j] == "" && path[j] == "" || path[j] == exe); j--) if (path[j] == "") cat[j] = "code"
        for (j = i + 1; j <= n && s[j] == e[j - 1] && (cat[j] == "" && path[j] == "" || path[j] == exe); j++) if (path[j] == "") cat[j] = "code"
      }
      for (i = 1; i <= n; i++) {
        if (cat[i] != "") continue
        if (path[i] == "[heap]") cat[i] = "brk"
        else if (path[i] == "" && s[i] < LOW) cat[i] = "v8"
        else if (path[i] ~ /^\//) cat[i] = "lib"
        else cat[i] = "other"
      }
      for (i = 1; i <= n; i++) {
        c = cat[i]
        if (c == "exe" || c == "libnode" || c == "lib") {   # file pages apart from their copy-on-write part
          R[c] += rss[i] - anon[i]; A[c] += 0; M[c]++
          R[c "data"] += anon[i]; A[c "data"] += anon[i]; if (anon[i] > 0) M[c "data"]++
        } else if (c == "exebss" || c == "libnodebss") {
          d = substr(c, 1, length(c) - 3) "data"; R[d] += rss[i]; A[d] += anon[i]; M[d]++
        } else { R[c] += rss[i]; A[c] += anon[i]; M[c]++ }
        TR += rss[i]; TA += anon[i]
      }
      while ((getline line < statusfile) > 0) { split(line, f, /[: \t]+/); st[f[1]] = f[2] }
      order = "exe exedata libnode libnodedata v8 code brk arena stack lib libdata other"
      label["exe"] = "node binary, file pages (" exe ")"
      label["exedata"] = "node binary, static data (.data copy-on-write, .bss)"
      label["libnode"] = "libnode, file pages"
      label["libnodedata"] = "libnode, static data"
      label["v8"] = "V8 heap (anonymous pages V8 mapped below 0x400000000000)"
      label["code"] = "V8 code range (JIT code, its guard pages)"
      label["brk"] = "glibc heap: [heap] (brk, the main arena)"
      label["arena"] = "glibc heap: malloc arenas (64 MiB-aligned)"
      label["stack"] = "thread stacks ([stack] and the other threads'\'')"
      label["lib"] = "shared libraries, file pages (libc, libstdc++, ld.so, ...)"
      label["libdata"] = "shared libraries, static data"
      label["other"] = "other (malloc'\''s mmapped blocks, TLS, vdso, ...)"
      print "| part | Rss MiB | of it anonymous MiB | mappings |"
      print "|---|---|---|---|"
      m = split(order, o, " ")
      for (k = 1; k <= m; k++) if (M[o[k]] > 0 || R[o[k]] > 0) printf "| %s | %s | %s | %d |\n", label[o[k]], mib(R[o[k]]), mib(A[o[k]]), M[o[k]]
      printf "| **total** (smaps) | **%s** | **%s** | %d |\n", mib(TR), mib(TA), n
      printf "\n/proc/PID/status at the same moment: VmRSS %s MiB, RssAnon %s MiB, RssFile %s MiB, VmHWM %s MiB; %d thread stack pointers read.\n", mib(st["VmRSS"]), mib(st["RssAnon"]), mib(st["RssFile"]), mib(st["VmHWM"]), nsp
      if (heap_total != "")
        printf "V8 (`dnsfwd status --json`, read just after smaps): heapTotal %s MiB, heapUsed %s MiB; the V8 heap row counts %s MiB resident.\n", mib(heap_total / 1024), mib(heap_used / 1024), mib(R["v8"])
    }' "$dir/stacks" "$dir/smaps"
}

main() {
  [[ $# -ge 1 ]] || usage
  if [[ $1 == --snapshot ]]; then
    [[ $# -eq 2 && -s $2/smaps ]] || usage
    breakdown "$2"
    return
  fi
  [[ $1 =~ ^[0-9]+$ && -r /proc/$1/smaps ]] || usage
  SNAP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dnsfwd-breakdown.XXXXXX")
  trap 'rm -rf "$SNAP_DIR"' EXIT
  take_snapshot "$1" "$SNAP_DIR" "${2:-}"
  breakdown "$SNAP_DIR"
}

[[ ${BASH_SOURCE[0]} != "$0" ]] || main "$@"
