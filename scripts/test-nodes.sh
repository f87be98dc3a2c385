#!/bin/sh
# Fetches the two Nodes the tests run dnsfwd under besides the one running them, without
# installing either (the system's node stays as it is): into .cache/node18/ Debian 12's own
# nodejs 18 (the oldest Node dnsfwd supports: test/integration/node18.test.ts), into .cache/node12/
# Debian 11's nodejs 12 (one Ubuntu 22.04 and Debian 11 ship, too old: test/integration/old-node.test.ts).
# Each is its .deb packages unpacked (dpkg -x) with the libraries they need; test/helpers/
# old-node.ts runs them. Needs apt-get (Debian 12 sources) and curl; a second run does nothing.
set -eu
cd "$(dirname -- "$0")/.."
CACHE=$PWD/.cache
POOL=http://deb.debian.org/debian/pool/main
# Debian 11's packages, fixed: bullseye no longer changes.
BULLSEYE="n/nodejs/nodejs_12.22.12~dfsg-1~deb11u4_amd64.deb n/nodejs/libnode72_12.22.12~dfsg-1~deb11u4_amd64.deb
i/icu/libicu67_67.1-7_amd64.deb o/openssl/libssl1.1_1.1.1w-0+deb11u1_amd64.deb"

# Downloads Debian 12 packages (NAME or NAME=VERSION) into the current directory.
apt_download() {
	# _apt downloads into a directory it may write to.
	chmod 0777 .
	apt-get download -q "$@" >/dev/null 2>&1 || { apt-get update -qq && apt-get download -q "$@" >/dev/null; }
}

unpack() { # DIR: every .deb of DIR/debs into DIR/root
	rm -rf "$1/root"
	mkdir -p "$1/root"
	for deb in "$1"/debs/*.deb; do dpkg -x "$deb" "$1/root"; done
}

fetch18() {
	dir=$CACHE/node18
	[ ! -x "$dir/root/usr/bin/node" ] || return 0
	mkdir -p "$dir/debs"
	version=$(apt-cache madison nodejs | awk '$3 ~ /^18\./ { print $3; exit }')
	if [ -z "$version" ]; then
		apt-get update -qq
		version=$(apt-cache madison nodejs | awk '$3 ~ /^18\./ { print $3; exit }')
	fi
	[ -n "$version" ] || { echo "test-nodes.sh: apt has no nodejs 18 (Debian 12's): add a bookworm source" >&2; exit 1; }
	(cd "$dir/debs" && apt_download "nodejs=$version" "libnode108=$version" libc-ares2 libuv1 node-acorn \
		node-cjs-module-lexer node-undici node-xtend)
	unpack "$dir"
}

fetch12() {
	dir=$CACHE/node12
	[ ! -x "$dir/root/usr/bin/node" ] || return 0
	mkdir -p "$dir/debs"
	for p in $BULLSEYE; do
		f=$(basename "$p")
		[ -s "$dir/debs/$f" ] || curl -fsSL --retry 3 -o "$dir/debs/$f" "$POOL/$p"
	done
	# What libnode72 needs that Debian 12 has (same ABI), in case this system lacks it.
	(cd "$dir/debs" && apt_download libc-ares2 libuv1 libnghttp2-14 libbrotli1)
	unpack "$dir"
}

fetch18
fetch12
echo "test-nodes.sh: $("$CACHE/node18/root/usr/bin/node" --version 2>/dev/null || echo node 18) in .cache/node18, node 12 in .cache/node12"
