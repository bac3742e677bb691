// What the firmware says about the machine's processors and interrupt
// controllers, from the ACPI MADT or the MP configuration table. The parsers
// (kern/acpi.cc, kern/mptable.cc) are pure: they read physical memory only
// through a PhysMem and report problems only through a Diag, so the same
// code runs in the kernel and in host tests.
#pragma once

#include <inc/memlayout.h>
#include <inc/types.h>
#include <kern/bootinfo.h>

constexpr int kMaxIoApics = 16;
constexpr int kMaxIrqOverrides = 32;
constexpr uint64_t kDefaultLapicPa = 0xFEE00000;

struct IoApicInfo {
	uint32_t id;
	uint64_t pa;
	uint32_t gsi_base;
};

// An ISA IRQ that is wired to another global system interrupt.
struct IrqOverride {
	uint8_t source;		// ISA IRQ
	uint32_t gsi;
	uint16_t flags;		// polarity and trigger mode (MPS INTI flags)
};

struct SmpConfig {
	uint64_t lapic_pa;		// local APIC MMIO base (xAPIC mode)
	uint32_t apic_ids[NCPU];	// enabled CPUs, in table order
	int ncpu;
	bool has_bsp_id;		// the MP table marks the boot CPU
	uint32_t bsp_apic_id;
	int ndisabled;			// CPUs listed with the Enabled flag clear
	int nbeyond;			// enabled CPUs that did not fit NCPU
	IoApicInfo ioapics[kMaxIoApics];
	int nioapic;
	IrqOverride overrides[kMaxIrqOverrides];
	int noverride;
	bool pic_present;		// dual 8259 PICs (MADT PCAT_COMPAT / MP IMCR)
	uint64_t table_pa;		// where the CPU list came from
	char table_name[8];		// "XSDT", "RSDT" or "MP"
};

// Where parser messages go: one line each, without a newline.
struct Diag {
	void (*fn)(void *ctx, const char *msg);
	void *ctx;
	void say(const char *fmt, ...) const __attribute__((format(printf, 2, 3)));
};

// Adds one CPU to cfg: skips disabled and duplicate entries and counts
// those beyond NCPU. `table` names the source in warnings.
void smpconfig_add_cpu(SmpConfig *cfg, uint32_t apic_id, bool enabled, const char *table,
		       const Diag &diag);

// Which of cfg's CPUs runs this code, from its own local APIC's ID: all 32
// bits (x2APIC mode), or only the low 8 (xAPIC mode, where the ID register
// of an x2APIC-capable CPU holds the low byte of its x2APIC ID). Returns its
// index in cfg.apic_ids, kNotListed if no entry matches, or kAmbiguous if
// several match the low 8 bits (IDs 0 and 256): only the full ID tells
// those apart. Firmware may list the boot CPU anywhere, not only first.
constexpr int kNotListed = -1, kAmbiguous = -2;
int smpconfig_find_self(const SmpConfig &cfg, uint32_t own_id, bool low_8_bits_only);

// ACPI: finds the RSDP (rsdp_copy from the loader if rsdp_len > 0, else by
// scanning the BIOS areas), walks the XSDT or RSDT to the MADT and fills
// cfg. Returns false, after a warning naming the table, when ACPI is absent
// or unusable; cfg is then not to be used.
bool acpi_parse_madt(const uint8_t *rsdp_copy, uint32_t rsdp_len, const PhysMem &mem,
		     SmpConfig *cfg, const Diag &diag);

// The ACPI table with signature sig that the root table at root_pa (an
// XSDT, or an RSDT) lists, whole and with its checksum checked; nullptr
// when it lists none (or, after a warning, when the table is unusable).
const uint8_t *acpi_find_table(uint64_t root_pa, bool xsdt, const char *sig, const PhysMem &mem,
			       const Diag &diag);

// MP specification 1.4 tables, searched where JOS searches (EBDA, top of
// base memory, BIOS ROM). Returns false, after a warning, if absent or
// unusable.
bool mptable_parse(const PhysMem &mem, SmpConfig *cfg, const Diag &diag);

// Finds a 16-byte aligned structure whose first bytes are sig, in
// [pa, pa+len); returns its physical address or 0. Used by both parsers.
uint64_t firmware_scan(const PhysMem &mem, uint64_t pa, uint64_t len, const char *sig,
		       size_t siglen, bool (*valid)(uint64_t pa, const PhysMem &mem));

// Sum of len bytes, modulo 256 (ACPI and MP checksums make it 0).
uint8_t byte_sum(const uint8_t *p, size_t len);
