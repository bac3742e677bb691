// What the loader tells the kernel: memory map, command line, ACPI RSDP.
// Multiboot2 (GRUB) and PVH (QEMU -kernel) are parsed into one BootInfo, so
// nothing after kern_main's first lines knows which loader ran.
#pragma once

#include <inc/types.h>

constexpr uint32_t MB2_BOOTLOADER_MAGIC = 0x36D76289;
constexpr uint32_t PVH_START_MAGIC = 0x336EC578;

enum class BootProtocol { Multiboot2, Pvh };

// E820 memory types, as both protocols report them.
enum MemType : uint32_t {
	MEM_USABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI = 3,		// ACPI tables, reclaimable
	MEM_NVS = 4,		// ACPI non-volatile storage
	MEM_BAD = 5,
};

struct MemRegion {
	uint64_t base;
	uint64_t len;
	uint32_t type;
};

// A physical range the kernel must keep (boot structures).
struct PhysRange {
	uint64_t base;
	uint64_t len;
};

struct BootInfo {
	BootProtocol protocol;
	char cmdline[1024];
	bool cmdline_truncated;
	MemRegion mmap[128];
	int nmmap;
	bool mmap_truncated;
	uint8_t rsdp[36];	// a copy of the ACPI RSDP (rsdp_len bytes; 0 if none)
	uint32_t rsdp_len;
	uint64_t rsdp_pa;	// where the RSDP lives, if the loader said (PVH)
	PhysRange reserved[4];	// info structure, command line, memory map
	int nreserved;
	char error[160];	// why parsing failed
};

// Read access to physical memory for the parsers: map() returns a pointer
// to len readable bytes at pa, or nullptr if that range is not accessible.
struct PhysMem {
	const void *(*map)(void *ctx, uint64_t pa, uint64_t len);
	void *ctx;
};

// Parses the boot information the loader left at info_pa. magic is what
// the entry code saw (MB2_BOOTLOADER_MAGIC or PVH_START_MAGIC). Returns
// false, with out->error saying why, if the structure is unusable.
bool bootinfo_parse(uint32_t magic, uint64_t info_pa, const PhysMem &mem, BootInfo *out);

// The boot this kernel was started with.
extern BootInfo boot_info;

const char *mem_type_name(uint32_t type);
