#!/bin/sh
# fetch-qemu.sh DEST [SUITE]: a second QEMU beside the system's, for trying
# both on one machine: downloads qemu-system-x86, -data and -common, and the
# packages of loadable modules, from Debian's SUITE (default
# bookworm-backports) and unpacks them into DEST, without installing
# anything. (QEMU looks for a module it lacks in the system's module folder
# too: one from the system's older QEMU, which the system's packages make
# loadable, aborts the newer one. So every module comes along.) Then `make ... QEMU=DEST` uses it.
# Needs only apt-get and dpkg-deb, and no root: apt's lists and cache are
# kept under DEST too.
set -eu

mkdir -p "$1"
dest=$(cd "$1" && pwd)		# apt wants absolute paths
suite=${2:-bookworm-backports}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
state=$dest/.apt
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/debs"
echo "deb $mirror $suite main" > "$state/sources.list"
apt="-o Dir::Etc::SourceList=$state/sources.list -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State=$state -o Dir::State::status=/var/lib/dpkg/status
	-o Dir::Cache=$state/cache -o Debug::NoLocking=1 -o APT::Sandbox::User=$(id -un)"

echo "fetch-qemu: package lists of $suite ($mirror)" >&2
# shellcheck disable=SC2086
if ! apt-get -q $apt update >"$state/update.log" 2>&1; then
	cat "$state/update.log" >&2
	echo "fetch-qemu: could not read Debian's $suite lists from $mirror" >&2
	exit 1
fi
cd "$state/debs"
rm -f ./*.deb
# shellcheck disable=SC2086
apt-get -q $apt download qemu-system-x86/"$suite" qemu-system-data/"$suite" \
	qemu-system-common/"$suite" qemu-system-gui/"$suite" \
	qemu-system-modules-opengl/"$suite" qemu-system-modules-spice/"$suite" >&2
cd - >/dev/null
for deb in "$state"/debs/*.deb; do
	dpkg-deb -x "$deb" "$dest"
done

bin=$dest/usr/bin/qemu-system-x86_64
export QEMU_MODULE_DIR="$dest/usr/lib/x86_64-linux-gnu/qemu"
if ! "$bin" --version >&2; then
	echo "fetch-qemu: $bin does not run on this machine (missing libraries?)" >&2
	exit 1
fi
# A machine that starts and quits at once: modules and firmware paths work.
if ! echo quit | timeout 60 "$bin" -L "$dest/usr/share/qemu" -L /usr/share/qemu \
	-machine q35 -display none -S -monitor stdio >"$state/smoke.log" 2>&1; then
	cat "$state/smoke.log" >&2
	echo "fetch-qemu: $bin cannot start a machine here (log above)" >&2
	exit 1
fi
echo "fetch-qemu: done; use it with QEMU=$dest" >&2
