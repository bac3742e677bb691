# Tool locations. Override on the command line or in conf/local.mk.

# Cross-compiler prefix; empty uses the host's x86_64 GCC (Debian 12: g++ 12).
GCCPREFIX ?=

QEMU ?= qemu-system-x86_64
# qboot: a tiny firmware that starts a PVH kernel in well under a second.
QBOOT ?= /usr/share/qemu/qboot.rom
# OVMF (Debian's ovmf package), for FIRMWARE=uefi: the firmware, and the
# variable store each run gets a copy of.
OVMF_CODE ?= /usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS ?= /usr/share/OVMF/OVMF_VARS_4M.fd
# Debian's interpreter (it sees python3-pytest); a pyenv python3 earlier on
# PATH does not.
PYTHON ?= /usr/bin/python3
GDB ?= gdb
