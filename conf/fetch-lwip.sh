#!/bin/sh
# fetch-lwip.sh DEST: lwIP's source, as Debian ships it (the source package
# `lwip`, 2.1.3 in bookworm), unpacked into DEST (obj/lwip): the network
# server (net/) is built on it. It is fetched at build time, never copied
# into the tree. Needs apt-get and dpkg-source (Debian's dpkg-dev), and no
# root: apt's lists and cache are kept under DEST/.apt, and the system's
# sources are left alone. DEBIAN_MIRROR and LWIP_SUITE choose another place;
# LWIP_DSC_DIR names a folder that holds the package's .dsc and tarballs
# already (Gradescope's setup.sh fetches them once), and nothing is
# downloaded. Debian's archive is checked against Debian's keyring
# (/usr/share/keyrings/debian-archive-keyring.gpg, the package
# debian-archive-keyring, which Ubuntu has too).
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
if [ -n "${LWIP_DSC_DIR:-}" ] && ls "$LWIP_DSC_DIR"/lwip_*.dsc >/dev/null 2>&1; then
	cp "$LWIP_DSC_DIR"/lwip_* "$state/src/"
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
signed=""
[ -f "$keyring" ] && signed="[signed-by=$keyring] "
echo "deb-src ${signed}$mirror $suite main" > "$state/sources.list"
apt="-o Dir::Etc::SourceList=$state/sources.list -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State=$state -o Dir::State::status=/var/lib/dpkg/status
	-o Dir::Cache=$state/cache -o Debug::NoLocking=1 -o APT::Sandbox::User=$(id -un)"

cd "$state/src"
if ! ls ./lwip_*.dsc >/dev/null 2>&1; then
	say "the source package lwip from Debian's $suite ($mirror)"
	# shellcheck disable=SC2086
	# (apt-get update succeeds with only warnings when the archive is out of
	# reach: the source list it should have fetched tells.)
	if ! apt-get -q $apt update >"$state/update.log" 2>&1 ||
		! ls "$state"/lists/*_source_Sources* >/dev/null 2>&1; then
		cat "$state/update.log" >&2
		[ -n "$signed" ] || say "(no $keyring here: install debian-archive-keyring)"
		say "could not read Debian's $suite source lists from $mirror; with the network"
		say "down, put lwip's .dsc and tarballs in $state/src and run make again"
		exit 1
	fi
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
# The tree's src/, where the build looks for it.
rm -rf "$dest/src"
mv "$state/tree/src" "$dest/src"
cp "$state/tree/COPYING" "$dest/COPYING" 2>/dev/null || true
rm -rf "$state/tree"
say "done: $dest/src"
