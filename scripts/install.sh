#!/bin/sh
# scripts/install.sh: installs dnsfwd as a system service on Alpine (OpenRC) or Debian/Ubuntu
# (systemd), with the DHCP client glue that lets dnsfwd see the DHCP nameservers while
# /etc/resolv.conf says `nameserver 127.0.0.1`; --uninstall puts back exactly what it changed.
# Every change is recorded in /var/lib/dnsfwd/install/manifest (originals under backup/), and a
# second run changes nothing. config/README.md says what it does per distribution and DHCP client.
set -eu

usage() {
	cat <<'EOF'
Usage: scripts/install.sh [options]
  --root DIR        lay everything out under DIR (an image or a chroot): no service manager,
                    no user commands (DIR/etc/passwd and DIR/etc/group are edited), nothing
                    written outside DIR
  --distro NAME     alpine, debian or ubuntu (default: from DIR/etc/os-release)
  --dhcp LIST       DHCP clients to set up, comma-separated: dhclient, dhcpcd, udhcpc, networkd
                    (default: those installed; udhcpc on Alpine only)
  --uninstall       undo what earlier runs did, from the manifest
  -h, --help        this text
EOF
}

say() { printf 'dnsfwd install: %s\n' "$*"; }
warn() { printf 'dnsfwd install: warning: %s\n' "$*" >&2; }
die() {
	printf 'dnsfwd install: error: %s\n' "$*" >&2
	exit 1
}

REPO=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
ROOT=""
DISTRO=""
DHCP=""
ACTION=install
STATE=/var/lib/dnsfwd/install
MANIFEST=$STATE/manifest
TAB=$(printf '\t')
BEGIN_MARK="# >>> dnsfwd: scripts/install.sh --uninstall removes this block"
END_MARK="# <<< dnsfwd"

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT=$2; shift ;;
		--root=*) ROOT=${1#--root=} ;;
		--distro) [ $# -ge 2 ] || die "--distro needs a name"; DISTRO=$2; shift ;;
		--distro=*) DISTRO=${1#--distro=} ;;
		--dhcp) [ $# -ge 2 ] || die "--dhcp needs a list"; DHCP=$2; shift ;;
		--dhcp=*) DHCP=${1#--dhcp=} ;;
		--uninstall) ACTION=uninstall ;;
		-h | --help) usage; exit 0 ;;
		*) usage >&2; die "unknown option: $1" ;;
		esac
		shift
	done
	if [ -n "$ROOT" ]; then
		[ -d "$ROOT" ] || die "--root $ROOT: no such directory"
		ROOT=$(CDPATH='' cd -- "$ROOT" && pwd -P)
		[ "$ROOT" != / ] || ROOT=""
	fi
}

# The path P of the target system, as this script sees it.
t() { printf '%s%s' "$ROOT" "$1"; }

# --- Safety: with --root, no write may follow a symbolic link out of DIR -------------------------

# Fails unless the nearest existing ancestor of target path P resolves inside the root.
check_inside() {
	[ -n "$ROOT" ] || return 0
	p=$(dirname -- "$(t "$1")")
	while [ ! -e "$p" ] && [ ! -L "$p" ]; do p=$(dirname -- "$p"); done
	real=$(realpath "$p" 2>/dev/null) || die "$p: cannot resolve"
	case "$real/" in
	"$ROOT"/*) ;;
	*) die "$1: its directory resolves to $real, outside $ROOT" ;;
	esac
}

# --- The manifest: one line per change, KIND<TAB>PATH[<TAB>DETAIL] ---------------------------------
# dir P      created directory            file P   created file (or symlink)
# backup P   replaced; original kept      block P  block appended (block+nl: and a newline before it)
# line P X   line X appended              attrs P MODE UID GID   owner/mode changed
# user N, group N   created with the system's commands;  enabled M   service enabled with M
CHANGED=no

# Reports a change this run made.
changed() {
	CHANGED=yes
	say "$*"
}

# True if FILE is a regular file, not a symbolic link to one.
is_plain_file() { [ -f "$1" ] && [ ! -L "$1" ]; }

# True if the file at PATH does not end with a newline.
lacks_final_newline() { [ -s "$1" ] && [ "$(tail -c 1 "$1" | wc -l)" -eq 0 ]; }

record() { # KIND PATH [DETAIL]
	if [ $# -ge 3 ]; then
		printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$(t "$MANIFEST")"
	else
		printf '%s\t%s\n' "$1" "$2" >>"$(t "$MANIFEST")"
	fi
}

# True if the manifest has an entry of KIND for PATH.
recorded() {
	[ -f "$(t "$MANIFEST")" ] || return 1
	awk -F "$TAB" -v k="$1" -v p="$2" '$1 == k && $2 == p { f = 1 } END { exit !f }' "$(t "$MANIFEST")"
}

# True if install owns the file at PATH: it created it or backed up the original.
owned() { recorded file "$1" || recorded backup "$1"; }

# --- Users and groups ------------------------------------------------------------------------------

id_of() { # FILE NAME: the numeric id of NAME in a passwd or group file, or nothing
	[ -f "$(t "$1")" ] || return 0
	awk -F: -v n="$2" '$1 == n { print $3; exit }' "$(t "$1")"
}

id_used_in() { # FILE ID: some line of the passwd or group FILE has this id
	[ -f "$(t "$1")" ] && awk -F: -v i="$2" '$3 == i { f = 1 } END { exit !f }' "$(t "$1")"
}

free_system_id() { # the lowest id from 100 to 999 free as both a uid and a gid
	i=100
	while [ $i -lt 1000 ]; do
		if ! id_used_in /etc/passwd $i && ! id_used_in /etc/group $i; then
			echo $i
			return 0
		fi
		i=$((i + 1))
	done
	die "no free system id between 100 and 999"
}

append_line() { # PATH LINE: appends LINE to an existing file, recorded
	check_inside "$1"
	is_plain_file "$(t "$1")" || die "$(t "$1") is not a regular file"
	! lacks_final_newline "$(t "$1")" || die "$(t "$1") does not end with a newline"
	printf '%s\n' "$2" >>"$(t "$1")"
	record line "$1" "$2"
	changed "added to $1: $2"
}

nologin_shell() {
	if [ "$DISTRO" = alpine ]; then echo /sbin/nologin; else echo /usr/sbin/nologin; fi
}

home_dir() {
	if [ "$DISTRO" = alpine ]; then echo /var/empty; else echo /nonexistent; fi
}

# With --root: the group and user lines, written into DIR/etc directly.
ensure_account_in_root() {
	[ -f "$(t /etc/passwd)" ] || die "$(t /etc/passwd) is missing"
	[ -f "$(t /etc/group)" ] || die "$(t /etc/group) is missing"
	gid=$(id_of /etc/group dnsfwd)
	if [ -z "$gid" ]; then
		gid=$(free_system_id)
		append_line /etc/group "dnsfwd:x:$gid:"
		[ ! -f "$(t /etc/gshadow)" ] || append_line /etc/gshadow "dnsfwd:!::"
	fi
	if [ -z "$(id_of /etc/passwd dnsfwd)" ]; then
		uid=$gid
		! id_used_in /etc/passwd "$uid" || uid=$(free_system_id)
		append_line /etc/passwd "dnsfwd:x:$uid:$gid:dnsfwd DNS forwarder:$(home_dir):$(nologin_shell)"
		[ ! -f "$(t /etc/shadow)" ] || append_line /etc/shadow "dnsfwd:!:::::::"
	fi
}

# Without --root: the system's own commands (busybox on Alpine, shadow's on Debian and Ubuntu).
ensure_account_on_system() {
	if [ -z "$(id_of /etc/group dnsfwd)" ]; then
		if [ "$DISTRO" = alpine ]; then addgroup -S dnsfwd; else groupadd --system dnsfwd; fi
		record group dnsfwd
		changed "created group dnsfwd"
	fi
	if [ -z "$(id_of /etc/passwd dnsfwd)" ]; then
		if [ "$DISTRO" = alpine ]; then
			adduser -S -D -H -h "$(home_dir)" -s "$(nologin_shell)" -G dnsfwd -g "dnsfwd DNS forwarder" dnsfwd
		else
			useradd --system --gid dnsfwd --no-create-home --home-dir "$(home_dir)" \
				--shell "$(nologin_shell)" --comment "dnsfwd DNS forwarder" dnsfwd
		fi
		record user dnsfwd
		changed "created user dnsfwd"
	fi
}

ensure_account() {
	if [ -n "$ROOT" ]; then ensure_account_in_root; else ensure_account_on_system; fi
	DNSFWD_GID=$(id_of /etc/group dnsfwd)
}

# --- Files -----------------------------------------------------------------------------------------

IS_ROOT_USER=no
[ "$(id -u)" != 0 ] || IS_ROOT_USER=yes

set_owner() { # PATH UID GID MODE: numeric ids, so that --root works without DIR's users here
	chmod "$4" "$(t "$1")"
	if [ $IS_ROOT_USER = yes ]; then
		chown "$2:$3" "$(t "$1")"
	elif [ "$2:$3" != "$(id -u):$(id -g)" ]; then
		warn "not running as root: $1 left owned by $(id -u):$(id -g) instead of $2:$3"
	fi
}

same_attrs() { # PATH UID GID MODE: the file already has this owner and mode
	[ "$(stat -c '%u:%g %a' "$(t "$1")")" = "$2:$3 $(printf '%o' "0$4")" ]
}

ensure_dir() { # PATH MODE: creates PATH and its missing parents (recorded, outermost first)
	check_inside "$1/x"
	missing=""
	d=$1
	while [ ! -d "$(t "$d")" ]; do
		missing="$d $missing"
		d=$(dirname -- "$d")
	done
	[ -n "$missing" ] || return 0
	mkdir -p "$(t "$1")"
	for d in $missing; do
		chmod 0755 "$(t "$d")"
		record dir "$d"
	done
	chmod "$2" "$(t "$1")"
	CHANGED=yes
}

backup() { # PATH: keeps the original (file or symlink, mode and owner) before its first change
	owned "$1" && return 0
	ensure_dir "$(dirname -- "$STATE/backup$1")" 0700
	cp -a "$(t "$1")" "$(t "$STATE/backup$1")"
	record backup "$1"
}

# Puts SRC at PATH with owner UID:GID and MODE, unless it is already there: a file install did not
# create is backed up first. With keep=keep, an existing file is left as it is.
put_file() { # SRC PATH UID GID MODE [keep]
	dest=$(t "$2")
	check_inside "$2"
	if [ -e "$dest" ] || [ -L "$dest" ]; then
		if [ "${6:-}" = keep ]; then
			return 0
		fi
		if is_plain_file "$dest" && cmp -s "$1" "$dest"; then
			same_attrs "$2" "$3" "$4" "$5" && return 0
			owned "$2" || record attrs "$2" "$(stat -c '%a %u %g' "$dest")"
			set_owner "$2" "$3" "$4" "$5"
			changed "fixed owner and mode of $2"
			return 0
		fi
		backup "$2"
		what=replaced
	else
		ensure_dir "$(dirname -- "$2")" 0755
		what=created
	fi
	cp "$1" "$dest.dnsfwd-new"
	set_owner "$2.dnsfwd-new" "$3" "$4" "$5"
	[ ! -L "$dest" ] || rm -f "$dest"
	mv -f "$dest.dnsfwd-new" "$dest"
	[ $what = replaced ] || owned "$2" || record file "$2"
	changed "$what $2"
}

# Puts TEXT and a newline at PATH (see put_file); a temporary file only if something changes.
put_text() { # TEXT PATH UID GID MODE
	if is_plain_file "$(t "$2")" && printf '%s\n' "$1" | cmp -s - "$(t "$2")" && same_attrs "$2" "$3" "$4" "$5"; then
		return 0
	fi
	printf '%s\n' "$1" >"$(t "$STATE/text.tmp")"
	shift
	put_file "$(t "$STATE/text.tmp")" "$@"
	rm -f "$(t "$STATE/text.tmp")"
}

# The contents of SRC between the dnsfwd markers.
block_of() { printf '%s\n' "$BEGIN_MARK"; cat "$1"; printf '%s\n' "$END_MARK"; }

# The file at PATH without the dnsfwd block.
without_block() {
	awk -v b="$BEGIN_MARK" -v e="$END_MARK" '$0 == b { skip = 1 } !skip { print } $0 == e { skip = 0 }' "$1"
}

# The dnsfwd block currently in the file at PATH.
current_block() {
	awk -v b="$BEGIN_MARK" -v e="$END_MARK" '$0 == b { on = 1 } on { print } $0 == e { on = 0 }' "$1"
}

# Appends SRC between markers to the file at PATH (created with only the block if missing), or
# updates the block in place; the rest of the file is left as it is.
put_block() { # SRC PATH MODE
	dest=$(t "$2")
	if [ ! -e "$dest" ] && [ ! -L "$dest" ]; then
		put_text "$(block_of "$1")" "$2" 0 0 "$3"
		return 0
	fi
	check_inside "$2"
	is_plain_file "$dest" || die "$2 is not a regular file"
	if grep -qxF "$BEGIN_MARK" "$dest"; then
		[ "$(current_block "$dest")" != "$(block_of "$1")" ] || return 0
		{
			without_block "$dest"
			block_of "$1"
		} >"$dest.dnsfwd-new"
		cat "$dest.dnsfwd-new" >"$dest"
		rm -f "$dest.dnsfwd-new"
		changed "updated the dnsfwd block of $2"
	else
		kind=block
		if lacks_final_newline "$dest"; then
			printf '\n' >>"$dest"
			kind=block+nl
		fi
		block_of "$1" >>"$dest"
		record "$kind" "$2"
		changed "added a dnsfwd block to $2"
	fi
}

# --- What the target system is ---------------------------------------------------------------------

os_release_field() { # FIELD: its value in DIR/etc/os-release (or DIR/usr/lib/os-release)
	for f in /etc/os-release /usr/lib/os-release; do
		[ -f "$(t "$f")" ] || continue
		sed -n "s/^$1=//p" "$(t "$f")" | tr -d '"'"'" | head -n 1
		return 0
	done
}

detect_distro() {
	[ -z "$DISTRO" ] || return 0
	id=$(os_release_field ID)
	like=$(os_release_field ID_LIKE)
	case " $id $like " in
	*" alpine "*) DISTRO=alpine ;;
	*" ubuntu "*) DISTRO=ubuntu ;;
	*" debian "*) DISTRO=debian ;;
	*) die "cannot tell the distribution from $(t /etc/os-release) (ID=$id): use --distro alpine|debian|ubuntu" ;;
	esac
}

check_distro() {
	case "$DISTRO" in
	alpine) INIT=openrc ;;
	debian | ubuntu) INIT=systemd ;;
	*) die "--distro $DISTRO: expected alpine, debian or ubuntu" ;;
	esac
}

# True if the target has program NAME in a system bin directory.
has_program() {
	for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		# A symbolic link counts: in an image, /sbin/udhcpc -> /bin/busybox may not resolve here.
		[ -x "$(t "$d/$1")" ] || [ -L "$(t "$d/$1")" ] && return 0
	done
	return 1
}

# True if the target has systemd's program NAME (systemd-networkd, systemd-resolved).
has_systemd_program() {
	for d in /usr/lib/systemd /lib/systemd; do
		[ -x "$(t "$d/$1")" ] || [ -L "$(t "$d/$1")" ] && return 0
	done
	return 1
}

detect_dhcp() {
	[ -z "$DHCP" ] || return 0
	found=""
	has_program dhclient && found="$found,dhclient"
	has_program dhcpcd && found="$found,dhcpcd"
	[ "$DISTRO" != alpine ] || ! has_program udhcpc || found="$found,udhcpc"
	[ "$INIT" != systemd ] || ! has_systemd_program systemd-networkd || found="$found,networkd"
	DHCP=${found#,}
	[ -n "$DHCP" ] || warn "no DHCP client found (dhclient, dhcpcd, udhcpc, systemd-networkd): nothing to set up for one"
}

check_dhcp() {
	for c in $(echo "$DHCP" | tr ',' ' '); do
		case "$c" in
		dhclient | dhcpcd | udhcpc | networkd) ;;
		*) die "--dhcp: unknown client $c (dhclient, dhcpcd, udhcpc, networkd)" ;;
		esac
	done
}

uses() { case ",$DHCP," in *",$1,"*) return 0 ;; esac; return 1; }

# systemd-resolved is there when its program is, or when resolv.conf points into its directory.
has_resolved() {
	[ "$INIT" = systemd ] || return 1
	has_systemd_program systemd-resolved && return 0
	[ -L "$(t /etc/resolv.conf)" ] && case "$(readlink "$(t /etc/resolv.conf)")" in *systemd/resolve/*) return 0 ;; esac
	return 1
}

# --- The pieces ------------------------------------------------------------------------------------

check_sources() {
	for f in dist/dnsfwd.mjs dist/dnsfwd-program.mjs; do
		[ -f "$REPO/$f" ] || die "$REPO/$f is missing: run npm run bundle (or npm start) first"
	done
	how="apt-get install nodejs"
	[ "$DISTRO" != alpine ] || how="apk add nodejs"
	if [ -n "$ROOT" ]; then
		node=$(t /usr/bin/node)
		if [ ! -x "$node" ]; then
			warn "$node is missing: the service needs Node.js >= 18.19 there ($how)"
			return 0
		fi
		# A node of another system (another libc, another architecture) may not run here.
		"$node" -e 0 >/dev/null 2>&1 || { warn "$node does not run here: its version is not checked"; return 0; }
	else
		# The node the service will run (dnsfwd runs node from the PATH).
		node=$(command -v node) || die "node (Node.js >= 18.19) is missing: $how"
	fi
	# dnsfwd's first step checks the version, and says in one line what is wrong.
	"$node" "$REPO/dist/dnsfwd.mjs" --node-settings check >/dev/null || die "$node cannot run dnsfwd (see the line above)"
}

install_program() {
	put_file "$REPO/dist/dnsfwd.mjs" /usr/lib/dnsfwd/dnsfwd.mjs 0 0 0644
	put_file "$REPO/dist/dnsfwd-program.mjs" /usr/lib/dnsfwd/dnsfwd-program.mjs 0 0 0644
	# dnsfwd's one entry (bin/dnsfwd), which the services run and operators type: dnsfwd status,
	# explain, flush, reload, check. It finds the program in ../lib/dnsfwd.
	put_file "$REPO/bin/dnsfwd" /usr/sbin/dnsfwd 0 0 0755
}

install_config() {
	ensure_dir /etc/dnsfwd 0755
	put_file "$REPO/config/dnsfwd.yaml" /etc/dnsfwd/dnsfwd.yaml 0 "$DNSFWD_GID" 0640 keep
}

install_service() {
	if [ "$INIT" = systemd ]; then
		put_file "$REPO/systemd/dnsfwd.service" /etc/systemd/system/dnsfwd.service 0 0 0644
	else
		put_file "$REPO/openrc/dnsfwd" /etc/init.d/dnsfwd 0 0 0755
		put_file "$REPO/openrc/dnsfwd.confd" /etc/conf.d/dnsfwd 0 0 0644 keep
		# Rotation of the log files the service writes (logrotate reads it once installed).
		put_file "$REPO/openrc/dnsfwd.logrotate" /etc/logrotate.d/dnsfwd 0 0 0644 keep
	fi
}

# The zsh completion directory the distribution's zsh reads (its fpath).
zsh_completion_dir() {
	if [ "$DISTRO" = alpine ]; then echo /usr/share/zsh/site-functions; else echo /usr/share/zsh/vendor-completions; fi
}

# Puts SRC gzipped at PATH (see put_file); gzip -n gives the same bytes each run, and a temporary
# file is made only if something changes.
put_gzipped() { # SRC PATH
	if is_plain_file "$(t "$2")" && gzip -9n <"$1" | cmp -s - "$(t "$2")" && same_attrs "$2" 0 0 0644; then
		return 0
	fi
	gzip -9n <"$1" >"$(t "$STATE/gzip.tmp")"
	put_file "$(t "$STATE/gzip.tmp")" "$2" 0 0 0644
	rm -f "$(t "$STATE/gzip.tmp")"
}

# The man pages, gzipped as the three distributions ship theirs, and the bash and zsh completions.
install_docs() {
	put_gzipped "$REPO/man/dnsfwd.8" /usr/share/man/man8/dnsfwd.8.gz
	put_gzipped "$REPO/man/dnsfwd.yaml.5" /usr/share/man/man5/dnsfwd.yaml.5.gz
	put_file "$REPO/completion/dnsfwd.bash" /usr/share/bash-completion/completions/dnsfwd 0 0 0644
	put_file "$REPO/completion/_dnsfwd" "$(zsh_completion_dir)/_dnsfwd" 0 0 0644
}

install_dhclient_glue() {
	if [ "$DISTRO" = alpine ]; then
		put_block "$REPO/config/dhclient-enter-hook" /etc/dhclient-enter-hooks 0644
	else
		put_file "$REPO/config/dhclient-enter-hook" /etc/dhcp/dhclient-enter-hooks.d/zz-dnsfwd 0 0 0644
	fi
}

# Lease files already there get the group dnsfwd now; the exit hook does it for later ones.
share_dhcpcd_leases() {
	[ -d "$(t /var/lib/dhcpcd)" ] || return 0
	check_inside /var/lib/dhcpcd/x
	for f in "$(t /var/lib/dhcpcd)"/*.lease*; do
		is_plain_file "$f" || continue
		p=${f#"$ROOT"}
		[ "$(stat -c %g "$f")" != "$DNSFWD_GID" ] || continue
		recorded attrs "$p" || record attrs "$p" "$(stat -c '%a %u %g' "$f")"
		set_owner "$p" "$(stat -c %u "$f")" "$DNSFWD_GID" "$(stat -c '%a' "$f" | sed 's/^\(.\)./\14/')"
		changed "gave $p to the group dnsfwd"
	done
}

install_dhcpcd_glue() {
	put_block "$REPO/config/dhcpcd.exit-hook" /etc/dhcpcd.exit-hook 0644
	put_block "$REPO/config/dhcpcd.conf" /etc/dhcpcd.conf 0644
	share_dhcpcd_leases
}

# udhcpc's nameservers are in the resolv.conf it wrote last: they seed /etc/dnsfwd/resolv.dhcp,
# so that dnsfwd has servers before udhcpc's next renewal.
seed_resolv_dhcp() {
	src=$(t /etc/resolv.conf)
	is_plain_file "$src" || return 0
	[ ! -e "$(t /etc/dnsfwd/resolv.dhcp)" ] || return 0
	lines=$(awk '$1 == "nameserver" && $2 !~ /^(127\.|::1$)/ { print } $1 == "search" || $1 == "domain" { print }' "$src")
	printf '%s\n' "$lines" | grep -q '^nameserver' || return 0
	put_text "$lines" /etc/dnsfwd/resolv.dhcp 0 0 0644
}

install_udhcpc_glue() {
	seed_resolv_dhcp
	put_block "$REPO/config/udhcpc.conf" /etc/udhcpc/udhcpc.conf 0644
}

install_dhcp_glue() {
	! uses dhclient || install_dhclient_glue
	! uses dhcpcd || install_dhcpcd_glue
	! uses udhcpc || install_udhcpc_glue
	! has_resolved || put_file "$REPO/config/resolved-dnsfwd.conf" /etc/systemd/resolved.conf.d/dnsfwd.conf 0 0 0644
}

point_resolv_conf() {
	put_text 'nameserver 127.0.0.1' /etc/resolv.conf 0 0 0644
}

# With `resolve` on the hosts line of nsswitch.conf (libnss-resolve; `resolve [!UNAVAIL=return]
# dns` on Ubuntu), glibc programs ask systemd-resolved, which goes to the DHCP servers itself: they
# reach `dns` (resolv.conf, dnsfwd) only when resolved is not running. A warning with the fix, not
# the fix: unlike resolved's drop-in, a file of its own, nsswitch.conf also holds passwd, group and
# the rest, which restoring it at --uninstall would undo, and libnss-resolve's scripts edit it too.
check_nsswitch() {
	has_resolved || return 0
	f=$(t /etc/nsswitch.conf)
	is_plain_file "$f" || return 0
	awk '$1 == "hosts:" { for (i = 2; i <= NF; i++) if ($i == "resolve") r = 1 } END { exit !r }' "$f" || return 0
	warn "$f: 'resolve' on the hosts line sends glibc programs to systemd-resolved, not to dnsfwd; to take it out: sed -i -E '/^hosts:/s/[[:space:]]+resolve([[:space:]]+\\[[^]]*\\])?//' $f"
}

# --- The service manager (never with --root) -------------------------------------------------------

# Enables the service if it is not, and (re)starts it if this run changed something or it is down.
start_service() {
	[ -z "$ROOT" ] || return 0
	if [ "$INIT" = systemd ]; then
		[ $CHANGED = no ] || systemctl daemon-reload
		if [ $CHANGED = yes ] && has_resolved; then systemctl try-restart systemd-resolved.service; fi
		if ! systemctl is-enabled --quiet dnsfwd.service 2>/dev/null; then
			systemctl enable dnsfwd.service
			recorded enabled systemd || record enabled systemd
		fi
		if [ $CHANGED = yes ] || ! systemctl is-active --quiet dnsfwd.service; then
			systemctl restart dnsfwd.service
			say "dnsfwd (re)started"
		fi
	else
		if [ ! -e /etc/runlevels/default/dnsfwd ]; then
			rc-update add dnsfwd default
			recorded enabled openrc || record enabled openrc
		fi
		if [ $CHANGED = yes ] || ! rc-service dnsfwd status >/dev/null 2>&1; then
			rc-service dnsfwd restart
			say "dnsfwd (re)started"
		fi
	fi
}

stop_service() {
	[ -z "$ROOT" ] || return 0
	if [ "$INIT" = systemd ]; then
		systemctl stop dnsfwd.service || true
	else
		rc-service dnsfwd stop || true
	fi
}

disable_service() { # MANAGER
	[ -z "$ROOT" ] || return 0
	case "$1" in
	systemd) systemctl disable dnsfwd.service || true ;;
	openrc) rc-update del dnsfwd default || true ;;
	esac
}

after_uninstall() {
	[ -z "$ROOT" ] || return 0
	if [ "$INIT" = systemd ]; then
		systemctl daemon-reload
		! has_resolved || systemctl try-restart systemd-resolved.service
	fi
}

# --- Install ---------------------------------------------------------------------------------------

print_plan() {
	say "target ${ROOT:-/}: $DISTRO ($INIT), DHCP: ${DHCP:-none}$(has_resolved && echo ', systemd-resolved')"
}

print_next_steps() {
	if [ -n "$ROOT" ]; then
		if [ "$INIT" = systemd ]; then
			say "in the system: systemctl enable --now dnsfwd"
		else
			say "in the system: rc-update add dnsfwd default && rc-service dnsfwd start"
		fi
	else
		! uses dhcpcd || say "dhcpcd reads 'nohook resolv.conf' when it restarts (or: dhcpcd -n)"
		say "check: dnsfwd check --config /etc/dnsfwd/dnsfwd.yaml && dig @127.0.0.1 example.com"
	fi
	[ $CHANGED = yes ] || say "nothing to change"
}

do_install() {
	check_sources
	undo_on_failure
	ensure_dir "$STATE" 0700
	[ -f "$(t "$MANIFEST")" ] || : >"$(t "$MANIFEST")"
	chmod 0600 "$(t "$MANIFEST")"
	ensure_account
	install_program
	install_config
	install_service
	install_docs
	install_dhcp_glue
	start_service
	point_resolv_conf
	trap - EXIT INT TERM HUP
	print_next_steps
	check_nsswitch
}

# --- A failed install undoes itself ----------------------------------------------------------------

RUN_START=0

# From here until the run is done, a failure (or a signal) undoes what this run recorded.
undo_on_failure() {
	RUN_START=0
	[ ! -f "$(t "$MANIFEST")" ] || RUN_START=$(wc -l <"$(t "$MANIFEST")")
	trap undo_this_run EXIT
	trap 'exit 1' INT TERM HUP
}

# Undoes this run's manifest lines, newest first, as --uninstall would; the manifest is left as the
# last good run wrote it, or removed with the state directory when this run created it.
undo_this_run() {
	status=$?
	trap - EXIT INT TERM HUP
	set +e
	manifest=$(t "$MANIFEST")
	[ -f "$manifest" ] || exit "$status"
	warn "the install failed: undoing what this run changed"
	tail -n "+$((RUN_START + 1))" "$manifest" >"$manifest.run"
	if awk -F "$TAB" '$1 == "file" && ($2 == "/etc/systemd/system/dnsfwd.service" || $2 == "/etc/init.d/dnsfwd") { f = 1 } END { exit !f }' "$manifest.run"; then
		stop_service
	fi
	awk '{ l[NR] = $0 } END { for (i = NR; i > 0; i--) print l[i] }' "$manifest.run" |
		while IFS="$TAB" read -r kind path detail; do
			undo "$kind" "$path" "$detail"
		done
	if [ "$RUN_START" -eq 0 ]; then
		rm -rf "$(t "$STATE")"
	else
		head -n "$RUN_START" "$manifest" >"$manifest.run"
		cat "$manifest.run" >"$manifest"
		rm -f "$manifest.run"
	fi
	after_uninstall
	exit "$status"
}

# --- Uninstall -------------------------------------------------------------------------------------

# The settings files install puts in place but leaves to the administrator: kept if edited.
settings_source() { # PATH: the file it came from, or nothing
	case "$1" in
	/etc/dnsfwd/dnsfwd.yaml) echo "$REPO/config/dnsfwd.yaml" ;;
	/etc/conf.d/dnsfwd) echo "$REPO/openrc/dnsfwd.confd" ;;
	/etc/logrotate.d/dnsfwd) echo "$REPO/openrc/dnsfwd.logrotate" ;;
	esac
}

remove_file() { # PATH
	src=$(settings_source "$1")
	if [ -n "$src" ] && ! cmp -s "$src" "$(t "$1")"; then
		warn "$1 was edited: kept"
		return 0
	fi
	rm -f "$(t "$1")"
	say "removed $1"
}

remove_dir() { # PATH
	case "$1" in
	"$STATE") rm -rf "$(t "$1")" ;;
	"$STATE"/*) ;; # removed with the state directory
	*) rmdir "$(t "$1")" 2>/dev/null || warn "$1 is not empty: kept" ;;
	esac
}

restore() { # PATH
	rm -f "$(t "$1")"
	cp -a "$(t "$STATE/backup$1")" "$(t "$1")"
	say "restored $1"
}

remove_block() { # KIND PATH
	p=$(t "$2")
	[ -f "$p" ] || return 0
	without_block "$p" >"$p.dnsfwd-new"
	if [ "$1" = block+nl ]; then
		awk 'NR > 1 { printf "\n" } { printf "%s", $0 }' "$p.dnsfwd-new" >"$p"
	else
		cat "$p.dnsfwd-new" >"$p"
	fi
	rm -f "$p.dnsfwd-new"
	say "removed the dnsfwd block from $2"
}

remove_line() { # PATH LINE
	p=$(t "$1")
	[ -f "$p" ] || return 0
	awk -v l="$2" '$0 != l { print }' "$p" >"$p.dnsfwd-new"
	cat "$p.dnsfwd-new" >"$p"
	rm -f "$p.dnsfwd-new"
	say "removed from $1: $2"
}

restore_attrs() { # PATH "MODE UID GID"
	[ -f "$(t "$1")" ] || return 0
	mode=${2%% *}
	ids=${2#* }
	chmod "$mode" "$(t "$1")"
	[ $IS_ROOT_USER = no ] || chown "${ids% *}:${ids#* }" "$(t "$1")"
}

remove_account() { # user|group
	[ -n "$(id_of "/etc/$1" dnsfwd)" ] || return 0
	case "$DISTRO:$1" in
	alpine:passwd) deluser dnsfwd ;;
	alpine:group) delgroup dnsfwd ;;
	*:passwd) userdel dnsfwd ;;
	*:group) groupdel dnsfwd ;;
	esac
	case "$1" in passwd) say "removed user dnsfwd" ;; *) say "removed group dnsfwd" ;; esac
}

# Undoes one manifest entry.
undo() { # KIND PATH DETAIL
	case "$1" in user | group | enabled) ;; *) check_inside "$2" ;; esac
	case "$1" in
	file) remove_file "$2" ;;
	dir) remove_dir "$2" ;;
	backup) restore "$2" ;;
	block | block+nl) remove_block "$1" "$2" ;;
	line) remove_line "$2" "$3" ;;
	attrs) restore_attrs "$2" "$3" ;;
	user) remove_account passwd ;;
	group) remove_account group ;;
	enabled) disable_service "$2" ;;
	esac
}

# What the glue wrote since: udhcpc's resolv.dhcp goes, dhcpcd's leases go back to the group root.
remove_glue_output() {
	if [ -f "$(t /etc/dnsfwd/resolv.dhcp)" ] && ! recorded file /etc/dnsfwd/resolv.dhcp; then
		rm -f "$(t /etc/dnsfwd/resolv.dhcp)"
		say "removed /etc/dnsfwd/resolv.dhcp"
	fi
	gid=$(id_of /etc/group dnsfwd)
	[ -n "$gid" ] || return 0
	[ -d "$(t /var/lib/dhcpcd)" ] || return 0
	check_inside /var/lib/dhcpcd/x
	for f in "$(t /var/lib/dhcpcd)"/*.lease*; do
		is_plain_file "$f" || continue
		[ "$(stat -c %g "$f")" = "$gid" ] || continue
		recorded attrs "${f#"$ROOT"}" || [ $IS_ROOT_USER = no ] || chgrp 0 "$f"
	done
}

do_uninstall() {
	[ -f "$(t "$MANIFEST")" ] || die "$(t "$MANIFEST") is missing: nothing to uninstall"
	if recorded file /etc/systemd/system/dnsfwd.service || recorded file /etc/init.d/dnsfwd; then
		stop_service
	fi
	remove_glue_output
	awk '{ l[NR] = $0 } END { for (i = NR; i > 0; i--) print l[i] }' "$(t "$MANIFEST")" |
		while IFS="$TAB" read -r kind path detail; do
			undo "$kind" "$path" "$detail"
		done
	rm -rf "$(t "$STATE")"
	after_uninstall
	say "uninstalled"
}

main() {
	parse_args "$@"
	detect_distro
	check_distro
	if [ "$ACTION" = install ]; then
		detect_dhcp
		check_dhcp
		print_plan
		do_install
	else
		say "target ${ROOT:-/}: $DISTRO ($INIT): uninstalling"
		do_uninstall
	fi
}

main "$@"
