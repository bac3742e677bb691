empty :=
space := $(empty) $(empty)

# Checks the QEMU variables before anything runs: a wrong value stops make
# with one line that names the variable and what it accepts.

is_number = $(shell echo '$(1)' | grep -Ex '[1-9][0-9]*')
num_gt = $(shell test '$(1)' -gt '$(2)' && echo yes)

# The limits are this QEMU's (conf/qemu-select.mk asked it).
ifeq ($(call is_number,$(CPUS)),)
$(error CPUS=$(CPUS) is not valid: CPUS takes a number of CPUs from 1 to $(QEMU_TCG_MAX_CPUS) (up to $(QEMU_Q35_MAX_CPUS) with KVM=1), e.g. CPUS=4)
endif
ifeq ($(call num_gt,$(CPUS),$(QEMU_Q35_MAX_CPUS)),yes)
$(error CPUS=$(CPUS) is too many: this QEMU ($(QEMU_VERSION)) allows at most $(QEMU_Q35_MAX_CPUS) CPUs on its q35 machine)
endif
ifeq ($(call num_gt,$(CPUS),$(QEMU_TCG_MAX_CPUS))$(KVM),yes0)
$(error CPUS=$(CPUS) needs KVM=1: more than 255 CPUs need x2APIC, and this QEMU's TCG ($(QEMU_VERSION)) cannot emulate it (QEMU 9 and later can: make fetch-qemu, then QEMU=$(OBJDIR)/qemu-backports))
endif

ifeq ($(shell echo '$(MEM)' | grep -Ex '[1-9][0-9]*[MGmg]?'),)
$(error MEM=$(MEM) is not valid: MEM takes a size in MiB or GiB, like 64M, 512M or 6G)
endif
MEM_MIB := $(shell echo '$(MEM)' | awk '/[Gg]$$/ { print $$0 * 1024; next } { print $$0 + 0 }')
ifeq ($(call num_gt,32,$(MEM_MIB)),yes)
$(error MEM=$(MEM) is too small: the kernel needs at least MEM=32M)
endif

ifeq ($(filter $(KVM),0 1),)
$(error KVM=$(KVM) is not valid: KVM takes 0 (TCG emulation) or 1 (hardware, /dev/kvm))
endif
KVM_DEV ?= /dev/kvm
ifeq ($(KVM),1)
ifeq ($(shell test -r $(KVM_DEV) -a -w $(KVM_DEV) && echo ok),)
$(error KVM=1 needs read-write access to $(KVM_DEV), which $(if $(wildcard $(KVM_DEV)),you do not have (add yourself to the kvm group),this machine does not have); use KVM=0)
endif
endif

ifeq ($(filter $(X2APIC),default on off),)
$(error X2APIC=$(X2APIC) is not valid: X2APIC takes default, on or off)
endif
ifeq ($(call num_gt,$(CPUS),255)$(X2APIC),yesoff)
$(error CPUS=$(CPUS) needs x2APIC (APIC IDs above 254), but X2APIC=off hides it: use X2APIC=default or on)
endif
ifeq ($(X2APIC)$(KVM)$(QEMU_TCG_X2APIC),on0no)
$(warning X2APIC=on under TCG: this QEMU's TCG ($(QEMU_VERSION)) cannot emulate x2APIC, so the CPU will not offer it and the kernel stays in xAPIC mode; use KVM=1, or a QEMU 9 or later (make fetch-qemu), to see x2APIC)
endif

ifneq ($(filter run-%,$(MAKECMDGOALS)),)
ifeq ($(call is_number,$(COPIES)),)
$(error COPIES=$(COPIES) is not valid: COPIES takes how many copies of the program to start, e.g. COPIES=1)
endif
endif

ifeq ($(filter $(BOOT),grub direct),)
$(error BOOT=$(BOOT) is not valid: BOOT takes grub (GRUB ISO, multiboot2) or direct (qemu -kernel, PVH))
endif

ifeq ($(filter $(FIRMWARE),bios uefi),)
$(error FIRMWARE=$(FIRMWARE) is not valid: FIRMWARE takes bios (SeaBIOS) or uefi (OVMF), e.g. FIRMWARE=uefi)
endif
ifeq ($(FIRMWARE)$(BOOT),uefidirect)
$(error FIRMWARE=uefi needs BOOT=grub: BOOT=direct starts the kernel through QEMU -kernel, without UEFI firmware; use BOOT=grub FIRMWARE=uefi)
endif
# OVMF does not get through its first steps under a nested KVM of the PVM
# kind (/sys/module/kvm_pvm): QEMU would sit there with a blank screen.
KVM_PVM ?= $(wildcard /sys/module/kvm_pvm)
ifeq ($(FIRMWARE)$(KVM)$(if $(KVM_PVM),pvm),uefi1pvm)
$(error FIRMWARE=uefi with KVM=1: OVMF does not run under this host's nested KVM (PVM, $(KVM_PVM)); use KVM=0, where UEFI boots in about 6 s)
endif

ifneq ($(findstring ',$(KARGS))$(findstring ",$(KARGS)),)
$(error KARGS must not contain quotes: give key=value words, e.g. KARGS="apic=xapic smpboot=parallel")
endif
# A '$' would not reach the kernel whole: make expands it (as $$ too, in
# the recursive make of run-PROG), the shell does in the command lines make
# prints, and GRUB does in grub.cfg. memmap= takes ':' for Linux's '$'.
# (A make variable's reference, as conf/local.mk may write, is no '$'.)
dollar := $$
lparen := (
lbrace := {
ifneq ($(findstring $(dollar),$(subst $(dollar)$(lparen),,$(subst $(dollar)$(lbrace),,$(value KARGS)))),)
$(error KARGS must not contain '$$': make, the shell and GRUB each take it on the way to the kernel; for memmap=SIZE$$ADDR write memmap=SIZE:ADDR)
endif

ifeq ($(filter $(LAB),1 2 3 4 5 6),)
$(error LAB=$(LAB) is not valid: LAB takes the lab this tree is for, 1 to 6 (conf/lab.mk sets it))
endif

ifeq ($(filter $(NET),user none),)
$(error NET=$(NET) is not valid: NET takes user (an e1000 card on QEMU's user network) or none (no card))
endif
ifneq ($(NET),none)
ifeq ($(shell echo '$(ECHOPORT)' | grep -Ex '[1-9][0-9]{0,4}' | awk '$$1 <= 65535'),)
$(error ECHOPORT=$(ECHOPORT) is not valid: ECHOPORT takes a TCP/UDP port number, 1 to 65535, e.g. ECHOPORT=26001)
endif
ifeq ($(shell echo '$(HTTPPORT)' | grep -Ex '[1-9][0-9]{0,4}' | awk '$$1 <= 65535'),)
$(error HTTPPORT=$(HTTPPORT) is not valid: HTTPPORT takes a TCP port number, 1 to 65535, e.g. HTTPPORT=26002)
endif
ifeq ($(ECHOPORT),$(HTTPPORT))
$(error ECHOPORT and HTTPPORT are both $(HTTPPORT): the echo and web servers need a port each)
endif
ifneq ($(findstring $(comma),$(NETDUMP))$(findstring $(space),$(NETDUMP)),)
$(error NETDUMP=$(NETDUMP): QEMU's -object filter-dump cannot take a file name with a comma or a space)
endif
endif

# DISK: the default image is a make target; any other must exist already.
ifneq ($(DISK),)
ifneq ($(findstring $(comma),$(DISK))$(findstring $(space),$(DISK)),)
$(error DISK=$(DISK): QEMU's -drive cannot take a file name with a comma or a space; copy the image somewhere else)
endif
ifneq ($(DISK),$(OBJDIR)/fs/fs.img)
ifeq ($(wildcard $(DISK)),)
$(error DISK=$(DISK): no such file; DISK takes a disk image (by default $(OBJDIR)/fs/fs.img, which make builds) or nothing, DISK= for no disk)
endif
ifneq ($(shell test -b '$(subst ','\'',$(DISK))' -o -s '$(subst ','\'',$(DISK))' || echo empty),)
$(error DISK=$(DISK) is empty (0 bytes): the disk would have no sectors; give an image fs/fsformat made (make builds $(OBJDIR)/fs/fs.img; copy it), or DISK= for no disk)
endif
endif
endif
