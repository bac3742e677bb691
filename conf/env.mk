# Tool locations. Override on the command line or in conf/local.mk.

# Cross-compiler prefix; empty uses the host's x86_64 GCC (Debian 12: g++ 12).
GCCPREFIX ?=

QEMU ?= qemu-system-x86_64
# qboot: a tiny firmware that starts a PVH kernel in well under a second.
QBOOT ?= /usr/share/qemu/qboot.rom
# Debian's interpreter (it sees python3-pytest); a pyenv python3 earlier on
# PATH does not.
PYTHON ?= /usr/bin/python3
GDB ?= gdb
