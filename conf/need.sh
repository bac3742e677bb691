#!/bin/sh
# need.sh GROUP...: makes sure the Debian packages a build step needs are
# installed. As root (or with password-less sudo) it installs what is
# missing; otherwise it stops and prints the exact apt-get line to run.
#   build: compiler and binutils     qemu: QEMU and its firmware
#   iso:   GRUB and grub-mkrescue    test: pytest and plugins   gdb: gdb
#   uefi:  OVMF and GRUB's EFI platform (FIRMWARE=uefi)
#   display: a virtual X server, xwd and QEMU's GTK window (the UEFI tests)
#   timeline: matplotlib (make timeline draws with it)
#   cache: ccache, for the trees make test builds (make grade does without)
#   lwip:  apt-get and dpkg-source, which fetch lwIP's source (lab 6)
#   host:  GoogleTest, clang and libFuzzer (host tests and fuzzers)
set -u

missing=""
add() { case " $missing " in *" $1 "*) ;; *) missing="$missing $1" ;; esac; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || add "$2"; }
need_file() { [ -e "$1" ] || add "$2"; }
need_py() { /usr/bin/python3 -c "import $1" >/dev/null 2>&1 || add "$2"; }

for group in "$@"; do
	case "$group" in
	build)
		need_cmd g++ g++
		need_cmd gcc gcc
		need_cmd ld binutils
		need_cmd awk mawk ;;
	qemu)
		need_cmd qemu-system-x86_64 qemu-system-x86
		need_file /usr/share/qemu/qboot.rom qemu-system-data
		need_file /usr/share/seabios/bios-256k.bin seabios ;;
	iso)
		need_cmd grub-mkrescue grub-common
		need_file /usr/lib/grub/i386-pc/multiboot2.mod grub-pc-bin
		need_cmd xorriso xorriso
		need_cmd mformat mtools ;;
	uefi)
		need_file /usr/share/OVMF/OVMF_CODE_4M.fd ovmf
		need_file /usr/lib/grub/x86_64-efi/multiboot2.mod grub-efi-amd64-bin ;;
	timeline)
		need_py matplotlib python3-matplotlib ;;
	display)
		need_cmd Xvfb xvfb
		need_cmd xwd x11-apps
		need_file /usr/lib/x86_64-linux-gnu/qemu/ui-gtk.so qemu-system-gui ;;
	test)
		need_cmd /usr/bin/python3 python3
		need_py pytest python3-pytest
		need_py xdist python3-pytest-xdist
		need_py pytest_timeout python3-pytest-timeout ;;
	cache)
		need_cmd ccache ccache ;;
	gdb)
		need_cmd gdb gdb ;;
	lwip)
		need_cmd apt-get apt
		need_cmd dpkg-source dpkg-dev ;;
	host)
		need_file /usr/include/gtest/gtest.h libgtest-dev
		need_cmd clang++ clang
		need_file /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a \
			libclang-rt-14-dev ;;
	*)
		echo "need.sh: unknown group '$group'" >&2
		exit 2 ;;
	esac
done

[ -z "$missing" ] && exit 0

missing=${missing# }
line="apt-get install -y --no-install-recommends $missing"
if [ "$(id -u)" = 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo="sudo"
else
	echo "smpjos: these Debian packages are missing: $missing" >&2
	echo "smpjos: install them with:  sudo apt-get update && sudo $line" >&2
	exit 1
fi

echo "smpjos: installing missing Debian packages: $missing" >&2
apt_get() {
	DEBIAN_FRONTEND=noninteractive $sudo apt-get -q -o DPkg::Lock::Timeout=300 "$@" >&2
}
# A fresh machine may have no package lists yet: update and retry once.
if ! apt_get install -y --no-install-recommends $missing; then
	apt_get update && apt_get install -y --no-install-recommends $missing || {
		echo "smpjos: could not install $missing; run:  ${sudo:+sudo }apt-get update && ${sudo:+sudo }$line" >&2
		exit 1
	}
fi
