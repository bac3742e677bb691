# Defaults for the QEMU variables. Give another value on the make command
# line (make qemu CPUS=8 KVM=1), or change it here for a whole course.
# (Comments sit on their own lines: make would keep the blanks before a
# trailing comment in the value.)

# Virtual CPUs: 1..255 under TCG, up to 288 with KVM=1.
CPUS ?= 4
# Guest RAM, as QEMU's -m takes it: 64M, 512M, 3G, 6G ...
MEM ?= 256M
# 1: hardware virtualization through /dev/kvm.
KVM ?= 0
# on|off: whether the virtual CPU offers x2APIC; default: the CPU model's choice.
X2APIC ?= default
# grub: a GRUB ISO (multiboot2); direct: qemu -kernel through the PVH note.
BOOT ?= grub
# With BOOT=grub: bios (SeaBIOS) or uefi (OVMF; the same ISO, a framebuffer
# console instead of VGA text).
FIRMWARE ?= bios
# Extra kernel command line, e.g. KARGS="apic=xapic smpboot=parallel".
KARGS ?=
# Extra -smp topology, e.g. SMPOPTS=sockets=2,cores=3 or SMPOPTS=maxcpus=4.
SMPOPTS ?=
# make run-PROG: how many copies of PROG to start (one per CPU).
COPIES ?= $(CPUS)
# The file system's disk image (lab 5): make builds this one from the user
# programs and fs/'s files; DISK= boots with no disk.
DISK ?= obj/fs/fs.img

# CPU models. Under KVM on a nested host, -cpu host/max abort ("failed to set
# MSR 0x10a"); qemu64 starts everywhere and, under KVM, offers x2APIC.
TCG_CPU ?= qemu64
KVM_CPU ?= qemu64
# The network (lab 6): an e1000 card on QEMU's user network (user), or no
# card at all (none). From lab 6 on, user.
NET ?= $(if $(filter 1 2 3 4 5,$(TREE_LAB)),none,user)
# With NET=user: where the host reaches the guest's echo server (TCP and
# UDP port 7) and web server (port 80), on 127.0.0.1; by default derived
# from your uid, as GDBPORT is.
ECHOPORT ?= $(shell expr `id -u` % 5000 + 25001)
HTTPPORT ?= $(shell expr `id -u` % 5000 + 25002)
# With NET=user: a file to capture every frame in (pcap), or nothing.
NETDUMP ?=
