// What the loader tells the kernel: memory map, command line, ACPI RSDP.
// Multiboot2 (GRUB) and PVH (QEMU -kernel) are parsed into one BootInfo, so
// nothing after kern_main's first lines knows which loader ran.
#pragma once

#include <inc/types.h>

constexpr uint32_t MB2_BOOTLOADER_MAGIC = 0x36D76289;
constexpr uint32_t PVH_START_MAGIC = 0x336EC578;

enum class BootProtocol { Multiboot2, Pvh };

// E820 memory types, as both protocols report them (GRUB adds its own
// numbers for what it finds in an EFI memory map).
enum MemType : uint32_t {
	MEM_USABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI = 3,		// ACPI tables, reclaimable
	MEM_NVS = 4,		// ACPI non-volatile storage
	MEM_BAD = 5,
	MEM_DISABLED = 6,	// ACPI 3.0: not to be used
	MEM_PERSISTENT = 7,	// non-volatile RAM (ACPI 6)
	MEM_PERSISTENT_OLD = 12,	// non-volatile RAM, the older e820 number
	MEM_COREBOOT = 16,	// coreboot's tables (GRUB)
	MEM_FW_CODE = 20,	// EFI runtime services code (GRUB)
};

// EFI memory descriptor types (UEFI specification, 7.2, EFI_MEMORY_TYPE).
constexpr uint32_t kEfiMemTypes = 16;

// What the loader says about the screen (multiboot2 framebuffer tag).
enum class FbType : uint8_t { Indexed = 0, Rgb = 1, EgaText = 2 };

struct Framebuffer {
	uint64_t addr;		// physical
	uint32_t pitch;		// bytes per line (text mode: per row of cells)
	uint32_t width, height;	// pixels (text mode: characters)
	uint8_t bpp;
	FbType type;
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;	// Rgb only
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
	bool has_fb;		// the loader described the screen (fb)
	Framebuffer fb;
	bool efi;		// booted through UEFI (an EFI system table tag)
	// The EFI memory map, when the loader passed it on: descriptors and
	// pages of each type; types past kEfiMemTypes are counted together.
	uint32_t efi_descs;
	uint64_t efi_pages[kEfiMemTypes];
	uint32_t efi_other_types;
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
const char *efi_mem_type_name(uint32_t type);

// The region of the firmware memory map that holds physical address pa, or
// nullptr if none does. Where regions overlap, one that is not usable wins.
const MemRegion *mem_region_at(const BootInfo &bi, uint64_t pa);

// Marks [base, base+len) reserved in bi's memory map (memmap=), as a region
// of its own over whatever the firmware said: where regions overlap, one
// that is not usable wins. False if the map has no room for another region.
bool mem_reserve(BootInfo *bi, uint64_t base, uint64_t len);

// True if [pa, pa+len) is usable RAM in the firmware memory map. If not,
// *blocker is the region in the way (nullptr: a hole in the map).
bool mem_range_usable(const BootInfo &bi, uint64_t pa, uint64_t len, const MemRegion **blocker);
