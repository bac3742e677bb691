// Parsers for the multiboot2 information structure and the PVH start_info.
// Every length and offset is checked against what the loader said it gave;
// nothing here trusts a field before checking it.

#include <inc/stdio.h>
#include <inc/string.h>
#include <kern/bootinfo.h>

namespace {

// Multiboot2 tag types (multiboot2 specification, 3.6).
enum : uint32_t {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_MMAP = 6,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_EFI64 = 12,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
	MB2_TAG_EFI_MMAP = 17,
};

// The framebuffer tag's body (multiboot2 specification, 3.6.12), then the
// colour fields of an RGB one.
struct Mb2Framebuffer {
	uint64_t addr;
	uint32_t pitch;
	uint32_t width;
	uint32_t height;
	uint8_t bpp;
	uint8_t type;
	uint16_t reserved;
};
static_assert(sizeof(Mb2Framebuffer) == 24);

// EFI_MEMORY_DESCRIPTOR (the loader says how far apart they are).
struct EfiMemDesc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t pages;
	uint64_t attribute;
};

struct Mb2Tag {
	uint32_t type;
	uint32_t size;
};

struct Mb2MmapEntry {
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
	uint32_t reserved;
};

// Xen's hvm_start_info, version 1 (xen/include/public/arch-x86/hvm/start_info.h).
struct PvhStartInfo {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};
static_assert(sizeof(PvhStartInfo) == 56);

struct PvhMemmapEntry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

constexpr uint64_t kMaxMb2Size = 1 << 20;

bool
fail(BootInfo *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

bool
fail(BootInfo *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->error, sizeof(out->error), fmt, ap);
	va_end(ap);
	return false;
}

void
add_region(BootInfo *out, uint64_t base, uint64_t len, uint32_t type)
{
	if (len == 0)
		return;
	if (out->nmmap == static_cast<int>(ARRAY_SIZE(out->mmap))) {
		out->mmap_truncated = true;
		return;
	}
	out->mmap[out->nmmap++] = MemRegion{base, len, type};
}

void
add_reserved(BootInfo *out, uint64_t base, uint64_t len)
{
	if (out->nreserved < static_cast<int>(ARRAY_SIZE(out->reserved)))
		out->reserved[out->nreserved++] = PhysRange{base, len};
}

void
set_cmdline(BootInfo *out, const char *s, size_t len)
{
	size_t n = len < sizeof(out->cmdline) - 1 ? len : sizeof(out->cmdline) - 1;
	out->cmdline_truncated = n < len;
	memcpy(out->cmdline, s, n);
	out->cmdline[n] = '\0';
}

// Both memory-map tags start alike: an entry size (4 bytes) and 4 more
// bytes (a version), then entries of that size. Reads the entry size into
// *size; false (with the reason in out) if the header is cut short, or the
// size is below min or not a multiple of 8.
bool
read_map_header(const uint8_t *body, uint32_t body_len, uint32_t min, const char *what,
		BootInfo *out, uint32_t *size)
{
	if (body_len < 8)
		return fail(out, "multiboot2 %s tag is truncated", what);
	memcpy(size, body, 4);
	if (*size < min || *size % 8 != 0)
		return fail(out, "multiboot2 %s entry size %u is invalid (at least %u, a multiple "
			    "of 8)", what, *size, min);
	return true;
}

bool
parse_mb2(uint64_t info_pa, const PhysMem &mem, BootInfo *out)
{
	out->protocol = BootProtocol::Multiboot2;
	if (info_pa % 8 != 0)
		return fail(out, "multiboot2 info at %#lx is not 8-byte aligned", info_pa);
	auto *head = mem.map(mem.ctx, info_pa, 8);
	if (head == nullptr)
		return fail(out, "multiboot2 info at %#lx is not readable", info_pa);
	uint32_t total;
	memcpy(&total, head, sizeof(total));
	if (total < 16 || total > kMaxMb2Size)
		return fail(out, "multiboot2 info total_size %u is out of range", total);
	auto *base = static_cast<const uint8_t *>(mem.map(mem.ctx, info_pa, total));
	if (base == nullptr)
		return fail(out, "multiboot2 info [%#lx, +%u) is not readable", info_pa, total);
	add_reserved(out, info_pa, total);

	bool have_mmap = false, have_new_rsdp = false;
	for (uint32_t off = 8;;) {
		if (off > total - 8)
			return fail(out, "multiboot2 info: no end tag within %u bytes", total);
		Mb2Tag tag;
		memcpy(&tag, base + off, sizeof(tag));
		if (tag.size < 8 || tag.size > total - off)
			return fail(out, "multiboot2 tag %u at offset %u has size %u, past the "
				    "end of the info (%u bytes)", tag.type, off, tag.size, total);
		const uint8_t *body = base + off + 8;
		uint32_t body_len = tag.size - 8;

		switch (tag.type) {
		case MB2_TAG_END:
			if (!have_mmap)
				return fail(out, "multiboot2 info has no memory map (tag 6)");
			return true;
		case MB2_TAG_CMDLINE:
			set_cmdline(out, reinterpret_cast<const char *>(body),
				    strnlen(reinterpret_cast<const char *>(body), body_len));
			break;
		case MB2_TAG_MMAP: {
			uint32_t entry_size;
			if (!read_map_header(body, body_len, sizeof(Mb2MmapEntry), "memory map",
					     out, &entry_size))
				return false;
			for (uint32_t e = 8; e + entry_size <= body_len; e += entry_size) {
				Mb2MmapEntry ent;
				memcpy(&ent, body + e, sizeof(ent));
				add_region(out, ent.base_addr, ent.length, ent.type);
			}
			have_mmap = true;
			break;
		}
		case MB2_TAG_FRAMEBUFFER: {
			Mb2Framebuffer fb;
			if (body_len < sizeof(fb))
				return fail(out, "multiboot2 framebuffer tag is truncated (%u bytes)",
					    body_len);
			memcpy(&fb, body, sizeof(fb));
			if (fb.type > 2)
				break;		// a kind we do not know: as if none
			out->fb = Framebuffer{fb.addr, fb.pitch, fb.width, fb.height, fb.bpp,
					      static_cast<FbType>(fb.type)};
			if (out->fb.type == FbType::Rgb) {
				if (body_len < sizeof(fb) + 6)
					return fail(out, "multiboot2 RGB framebuffer tag has no colour "
						    "fields");
				const uint8_t *c = body + sizeof(fb);
				out->fb.red_pos = c[0], out->fb.red_size = c[1];
				out->fb.green_pos = c[2], out->fb.green_size = c[3];
				out->fb.blue_pos = c[4], out->fb.blue_size = c[5];
			}
			out->has_fb = true;
			break;
		}
		case MB2_TAG_EFI64:
			out->efi = true;
			break;
		case MB2_TAG_EFI_MMAP: {
			uint32_t desc_size;
			if (!read_map_header(body, body_len, sizeof(EfiMemDesc), "EFI memory map",
					     out, &desc_size))
				return false;
			for (uint32_t e = 8; e + desc_size <= body_len; e += desc_size) {
				EfiMemDesc d;
				memcpy(&d, body + e, sizeof(d));
				out->efi_descs++;
				if (d.type < kEfiMemTypes)
					out->efi_pages[d.type] += d.pages;
				else
					out->efi_other_types++;
			}
			out->efi = true;
			break;
		}
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			// The tag holds a copy of the RSDP; the newer one wins.
			if (tag.type == MB2_TAG_ACPI_NEW || !have_new_rsdp) {
				uint32_t n = body_len < sizeof(out->rsdp) ? body_len : sizeof(out->rsdp);
				memcpy(out->rsdp, body, n);
				out->rsdp_len = n;
				have_new_rsdp = tag.type == MB2_TAG_ACPI_NEW;
			}
			break;
		default:
			break;		// tags we do not need
		}
		off += (tag.size + 7) & ~7U;
	}
}

bool
parse_pvh(uint64_t info_pa, const PhysMem &mem, BootInfo *out)
{
	out->protocol = BootProtocol::Pvh;
	// Copied out: the loader's pointers need not be aligned.
	auto *raw = mem.map(mem.ctx, info_pa, sizeof(PvhStartInfo));
	if (raw == nullptr)
		return fail(out, "PVH start_info at %#lx is not readable", info_pa);
	PvhStartInfo start;
	memcpy(&start, raw, sizeof(start));
	const PvhStartInfo *si = &start;
	if (si->magic != PVH_START_MAGIC)
		return fail(out, "PVH start_info magic is %#x, expected %#x", si->magic,
			    PVH_START_MAGIC);
	if (si->version < 1)
		return fail(out, "PVH start_info version %u has no memory map (need 1)",
			    si->version);
	add_reserved(out, info_pa, sizeof(PvhStartInfo));

	if (si->cmdline_paddr != 0) {
		// Byte by byte: the string's length is unknown until its NUL.
		size_t len = 0;
		for (;;) {
			auto *c = static_cast<const char *>(mem.map(mem.ctx, si->cmdline_paddr + len, 1));
			if (c == nullptr)
				return fail(out, "PVH command line at %#lx is not readable to its end",
					    si->cmdline_paddr);
			if (*c == '\0')
				break;
			if (len == sizeof(out->cmdline) - 1) {
				out->cmdline_truncated = true;
				break;
			}
			out->cmdline[len++] = *c;
		}
		out->cmdline[len] = '\0';
		add_reserved(out, si->cmdline_paddr, len + 1);
	}

	uint64_t mmap_bytes = static_cast<uint64_t>(si->memmap_entries) * sizeof(PvhMemmapEntry);
	if (si->memmap_entries == 0 || si->memmap_paddr == 0)
		return fail(out, "PVH start_info has no memory map");
	auto *ents = static_cast<const uint8_t *>(mem.map(mem.ctx, si->memmap_paddr, mmap_bytes));
	if (ents == nullptr)
		return fail(out, "PVH memory map [%#lx, +%lu) is not readable", si->memmap_paddr,
			    mmap_bytes);
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		PvhMemmapEntry ent;
		memcpy(&ent, ents + i * sizeof(ent), sizeof(ent));
		add_region(out, ent.addr, ent.size, ent.type);
	}
	add_reserved(out, si->memmap_paddr, mmap_bytes);

	if (si->rsdp_paddr != 0) {
		auto *r = static_cast<const uint8_t *>(mem.map(mem.ctx, si->rsdp_paddr, 20));
		if (r != nullptr) {
			// ACPI 2.0+ RSDPs (revision >= 2) are 36 bytes long.
			uint32_t n = r[15] >= 2 ? 36 : 20;
			if (n == 36)
				r = static_cast<const uint8_t *>(mem.map(mem.ctx, si->rsdp_paddr, 36));
			if (r != nullptr) {
				memcpy(out->rsdp, r, n);
				out->rsdp_len = n;
				out->rsdp_pa = si->rsdp_paddr;
			}
		}
	}
	return true;
}

} // namespace

bool
bootinfo_parse(uint32_t magic, uint64_t info_pa, const PhysMem &mem, BootInfo *out)
{
	memset(out, 0, sizeof(*out));
	if (magic == MB2_BOOTLOADER_MAGIC)
		return parse_mb2(info_pa, mem, out);
	if (magic == PVH_START_MAGIC)
		return parse_pvh(info_pa, mem, out);
	return fail(out, "unknown boot protocol (magic %#x): boot through GRUB's "
		    "multiboot2 or QEMU -kernel (PVH)", magic);
}

const char *
mem_type_name(uint32_t type)
{
	switch (type) {
	case MEM_USABLE: return "usable";
	case MEM_RESERVED: return "reserved";
	case MEM_ACPI: return "ACPI data";
	case MEM_NVS: return "ACPI NVS";
	case MEM_BAD: return "bad";
	case MEM_DISABLED: return "disabled";
	case MEM_PERSISTENT: return "persistent";
	case MEM_PERSISTENT_OLD: return "persistent (old e820 type 12)";
	case MEM_COREBOOT: return "coreboot tables";
	case MEM_FW_CODE: return "firmware code (EFI runtime)";
	default: return "unknown";
	}
}

const char *
efi_mem_type_name(uint32_t type)
{
	static const char *const names[kEfiMemTypes] = {
		"reserved", "loader code", "loader data", "boot services code",
		"boot services data", "runtime services code", "runtime services data",
		"conventional", "unusable", "ACPI reclaimable", "ACPI NVS", "MMIO",
		"MMIO port space", "PAL code", "persistent", "unaccepted",
	};
	return type < kEfiMemTypes ? names[type] : "unknown";
}

bool
mem_reserve(BootInfo *bi, uint64_t base, uint64_t len)
{
	if (bi->nmmap == static_cast<int>(ARRAY_SIZE(bi->mmap)))
		return false;
	add_region(bi, base, len, MEM_RESERVED);
	return true;
}

const MemRegion *
mem_region_at(const BootInfo &bi, uint64_t pa)
{
	// Firmware maps may overlap: anything but usable wins.
	const MemRegion *found = nullptr;
	for (int i = 0; i < bi.nmmap; i++) {
		const MemRegion &r = bi.mmap[i];
		if (pa >= r.base && pa - r.base < r.len && (found == nullptr || r.type != MEM_USABLE))
			found = &r;
	}
	return found;
}

bool
mem_range_usable(const BootInfo &bi, uint64_t pa, uint64_t len, const MemRegion **blocker)
{
	// No region but usable ones may touch the range (firmware maps
	// overlap) ...
	for (int i = 0; i < bi.nmmap; i++) {
		const MemRegion &r = bi.mmap[i];
		if (r.type != MEM_USABLE && r.base < pa + len && pa < r.base + r.len) {
			*blocker = &r;
			return false;
		}
	}
	// ... and usable ones, perhaps several abutting, must cover it all.
	*blocker = nullptr;
	for (uint64_t at = pa; at < pa + len;) {
		const MemRegion *r = mem_region_at(bi, at);
		if (r == nullptr)
			return false;
		at = r->base + r->len;
	}
	return true;
}
