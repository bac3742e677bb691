# Which QEMU runs the kernel, and what it can do.
#
# QEMU names a qemu-system-x86_64 command (a name on PATH or a path), or a
# folder holding an unpacked Debian build, such as the one `make fetch-qemu`
# puts in obj/qemu-backports: its binary then runs with -L for its own
# firmware folder (then the system's, which has SeaBIOS and qboot) and with
# its module folder.
#
# What that QEMU offers is asked of it once (conf/qemu-caps.sh) and kept in
# obj/qemu-caps/; make and the graders decide from that, never from a
# version number: QEMU_VERSION, QEMU_Q35_MAX_CPUS, QEMU_TCG_X2APIC.

QEMU_FOLDER := $(if $(wildcard $(QEMU)/usr/bin/qemu-system-x86_64),$(abspath $(QEMU)))
ifneq ($(QEMU_FOLDER),)
QEMU_BIN := $(QEMU_FOLDER)/usr/bin/qemu-system-x86_64
QEMU_CMD := env QEMU_MODULE_DIR=$(QEMU_FOLDER)/usr/lib/x86_64-linux-gnu/qemu $(QEMU_BIN) \
	-L $(QEMU_FOLDER)/usr/share/qemu -L /usr/share/qemu
else
QEMU_BIN := $(shell command -v '$(QEMU)' 2>/dev/null)
QEMU_CMD := $(QEMU)
endif

QEMU_GOALS := $(filter-out $(NOCHECK_GOALS) fetch-qemu,$(or $(MAKECMDGOALS),all))
ifneq ($(QEMU_GOALS),)
# No QEMU yet: the system's is installed (or named) by need.sh, as the
# other packages are; any other must exist.
ifeq ($(QEMU_BIN)$(QEMU_FOLDER),)
ifeq ($(QEMU),qemu-system-x86_64)
QEMU_BIN := $(shell conf/need.sh qemu >&2 && command -v qemu-system-x86_64)
ifeq ($(QEMU_BIN),)
$(error QEMU is missing: install the Debian package qemu-system-x86 (the apt-get line is above))
endif
else
$(error QEMU=$(QEMU) is neither a qemu-system-x86_64 command nor a folder holding usr/bin/qemu-system-x86_64 (make fetch-qemu makes one: QEMU=$(OBJDIR)/qemu-backports))
endif
endif

# The probe's answers, cached per QEMU command and binary (a new build of
# the same path is asked again).
QEMU_CAPS_KEY := $(shell printf '%s %s' '$(QEMU_CMD)' "`stat -Lc %Y-%s '$(QEMU_BIN)' 2>/dev/null`" | md5sum | cut -c1-12)
QEMU_CAPS_FILE := $(OBJDIR)/qemu-caps/$(QEMU_CAPS_KEY).mk

# Asked here, before anything reads the answers (a rule would run only
# after the whole makefile was read once without them). Parallel makes may
# ask at once: each writes its own file, and the last rename wins.
ifeq ($(wildcard $(QEMU_CAPS_FILE)),)
QEMU_CAPS_PROBE := $(shell mkdir -p $(dir $(QEMU_CAPS_FILE)) && \
	conf/qemu-caps.sh $(QEMU_CMD) > $(QEMU_CAPS_FILE).$$$$ && \
	mv -f $(QEMU_CAPS_FILE).$$$$ $(QEMU_CAPS_FILE) && echo ok)
ifneq ($(QEMU_CAPS_PROBE),ok)
$(error could not ask $(QEMU_CMD) what it offers (conf/qemu-caps.sh; its message is above))
endif
endif
include $(QEMU_CAPS_FILE)
endif

# The largest CPU count this QEMU can run under TCG: above 255, APIC IDs
# need x2APIC, and only a TCG that emulates it can.
QEMU_TCG_MAX_CPUS := $(if $(filter yes,$(QEMU_TCG_X2APIC)),$(QEMU_Q35_MAX_CPUS),255)

# The host's KVM (conf/kvm-caps.sh), where a goal may run KVM or shows what
# the host offers: KVM_KIND (hardware, paravirtual, none) and KVM_KIND_WHY,
# read each time (a host fact, and cheap); KVM_CPU_DROP, the features of
# KVM_CPU this host's KVM lacks, asked once per QEMU and model (QEMU warns
# about each on every CPU of every boot: pni under PVM).
ifneq ($(QEMU_GOALS),)
ifneq ($(filter 1,$(KVM))$(filter print-qemu-caps,$(MAKECMDGOALS)),)
KVM_KIND_LINE := $(shell KVM_DEV=$(or $(KVM_DEV),/dev/kvm) conf/kvm-caps.sh kind)
KVM_KIND := $(firstword $(KVM_KIND_LINE))
KVM_KIND_WHY := $(wordlist 2,$(words $(KVM_KIND_LINE)),$(KVM_KIND_LINE))
ifneq ($(KVM_KIND),none)
KVM_CAPS_KEY := $(shell printf '%s %s' '$(QEMU_CAPS_KEY)' '$(KVM_CPU)' | md5sum | cut -c1-12)
KVM_DROP_FILE := $(OBJDIR)/qemu-caps/$(KVM_CAPS_KEY).kvm-drop.mk
ifeq ($(wildcard $(KVM_DROP_FILE)),)
KVM_DROP_PROBE := $(shell conf/kvm-caps.sh drop '$(KVM_CPU)' $(QEMU_CMD) > $(KVM_DROP_FILE).$$$$ && \
	mv -f $(KVM_DROP_FILE).$$$$ $(KVM_DROP_FILE) && echo ok)
ifneq ($(KVM_DROP_PROBE),ok)
$(error could not ask $(QEMU_CMD) which features of -cpu $(KVM_CPU) KVM gives (conf/kvm-caps.sh drop))
endif
endif
include $(KVM_DROP_FILE)
# How fast this KVM runs the kernel next to TCG: one short boot under each,
# measured once per QEMU and CPU model on this machine (a host's figure,
# kept for every tree: a class's trees, the graders' scratch trees), by a
# rule, as it needs the kernel. KVM_TIMING=no leaves it out of
# print-qemu-caps (the graders need only the kind).
KVM_SPEED_DIR ?= $(or $(TMPDIR),/tmp)/smpjos-caps-$(shell id -u)
ifneq ($(KVM_TIMING),no)
KVM_SPEED_FILE := $(KVM_SPEED_DIR)/$(KVM_CAPS_KEY).kvm-speed.mk
endif
endif
endif
endif

# KVM_SPEED_FILE's two figures, as the shell reads them in a recipe.
kvm_speed = $$(sed -n 's/^$(1) := //p' $(KVM_SPEED_FILE))

$(KVM_SPEED_DIR)/%.kvm-speed.mk: | $(KERNEL)
	@echo "smpjos: timing one short boot under this host's KVM ($(KVM_KIND)) and under TCG, once ($@)" >&2
	@mkdir -p $(@D)
	$(Q)conf/kvm-caps.sh speed $(KERNEL) $(QBOOT) '$(KVM_CPU)$(KVM_CPU_DROP)' $(QEMU_CMD) > $@.$$$$ && mv -f $@.$$$$ $@

# What the probes found, for the graders (grade/harness.py) and people.
print-qemu-caps: $(KVM_SPEED_FILE)
	@echo "QEMU_VERSION=$(QEMU_VERSION)"
	@echo "QEMU_Q35_MAX_CPUS=$(QEMU_Q35_MAX_CPUS)"
	@echo "QEMU_TCG_X2APIC=$(QEMU_TCG_X2APIC)"
	@echo "QEMU_TCG_MAX_CPUS=$(QEMU_TCG_MAX_CPUS)"
	@echo "KVM_KIND=$(KVM_KIND)"
	@echo "KVM_KIND_WHY=$(KVM_KIND_WHY)"
ifneq ($(KVM_SPEED_FILE),)
	@echo "KVM_CPU_DROP=$(KVM_CPU_DROP)"
	@echo "KVM_BOOT_MS=$(call kvm_speed,KVM_BOOT_MS)"
	@echo "TCG_BOOT_MS=$(call kvm_speed,TCG_BOOT_MS)"
endif

# A second QEMU, beside the system's: Debian's bookworm-backports build
# (QEMU 10), unpacked into obj/qemu-backports. make test then runs the boot,
# SMP and environment graders on it too.
fetch-qemu:
	$(Q)rm -rf $(OBJDIR)/qemu-backports
	$(Q)conf/fetch-qemu.sh $(OBJDIR)/qemu-backports || { rm -rf $(OBJDIR)/qemu-backports; exit 1; }

.PHONY: print-qemu-caps fetch-qemu
