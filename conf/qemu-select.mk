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

# What the probe found, for the graders (grade/harness.py) and people.
print-qemu-caps:
	@echo "QEMU_VERSION=$(QEMU_VERSION)"
	@echo "QEMU_Q35_MAX_CPUS=$(QEMU_Q35_MAX_CPUS)"
	@echo "QEMU_TCG_X2APIC=$(QEMU_TCG_X2APIC)"
	@echo "QEMU_TCG_MAX_CPUS=$(QEMU_TCG_MAX_CPUS)"

# A second QEMU, beside the system's: Debian's bookworm-backports build
# (QEMU 10), unpacked into obj/qemu-backports. make test then runs the boot,
# SMP and environment graders on it too.
fetch-qemu:
	$(Q)rm -rf $(OBJDIR)/qemu-backports
	$(Q)conf/fetch-qemu.sh $(OBJDIR)/qemu-backports || { rm -rf $(OBJDIR)/qemu-backports; exit 1; }

.PHONY: print-qemu-caps fetch-qemu
