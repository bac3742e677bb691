#!/bin/sh
# fetch-lwip.sh DEST: lwIP's source, as Debian ships it (the source package
# `lwip`, 2.1.3 in bookworm), unpacked into DEST (obj/lwip): the network
# server (net/) is built on it. It is fetched at build time, never copied
# into the tree. Needs apt-get and dpkg-source (Debian's dpkg-dev), and no
# root: apt's lists and cache are kept under DEST/.apt, and the system's
# sources are left alone. DEBIAN_MIRROR and LWIP_SUITE choose another place.
set -eu

mkdir -p "$1"
dest=$(cd "$1" && pwd)		# apt wants absolute paths
suite=${LWIP_SUITE:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
state=$dest/.apt
say() { echo "fetch-lwip: $*" >&2; }

if ! command -v dpkg-source >/dev/null 2>&1; then
	say "dpkg-source is missing: install Debian's dpkg-dev (apt-get install dpkg-dev), then run make again"
	exit 1
fi
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/src"
echo "deb-src $mirror $suite main" > "$state/sources.list"
apt="-o Dir::Etc::SourceList=$state/sources.list -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State=$state -o Dir::State::status=/var/lib/dpkg/status
	-o Dir::Cache=$state/cache -o Debug::NoLocking=1 -o APT::Sandbox::User=$(id -un)"

say "the source package lwip from Debian's $suite ($mirror)"
# shellcheck disable=SC2086
if ! apt-get -q $apt update >"$state/update.log" 2>&1; then
	cat "$state/update.log" >&2
	say "could not read Debian's $suite source lists from $mirror; with the network"
	say "down, put lwip's .dsc and tarballs in $state/src and run make again"
	exit 1
fi
cd "$state/src"
if ! ls ./lwip_*.dsc >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	apt-get -q $apt source --download-only lwip >"$state/source.log" 2>&1 || {
		cat "$state/source.log" >&2
		say "apt-get source lwip failed (log above)"
		exit 1
	}
fi
dsc=$(ls ./lwip_*.dsc | tail -n 1)
rm -rf "$state/tree"
dpkg-source --no-check -x "$dsc" "$state/tree" >"$state/unpack.log" 2>&1 || {
	cat "$state/unpack.log" >&2
	say "dpkg-source could not unpack $dsc (log above)"
	exit 1
}
# The tree's src/ and its version, where the build looks for them.
rm -rf "$dest/src"
mv "$state/tree/src" "$dest/src"
cp "$state/tree/COPYING" "$dest/COPYING" 2>/dev/null || true
grep -h "LWIP_VERSION_MAJOR\|LWIP_VERSION_MINOR\|LWIP_VERSION_REVISION" \
	"$dest/src/include/lwip/init.h" | grep define | head -3 >&2 || true
rm -rf "$state/tree"
say "done: $dest/src"
