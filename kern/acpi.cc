// ACPI tables, as far as processor discovery needs them: RSDP, RSDT or
// XSDT, and the MADT (ACPI 6.5, sections 5.2.5 - 5.2.12). Every checksum is
// verified and every length checked against the table that holds it.

#include <inc/string.h>
#include <kern/smpconfig.h>

namespace {

constexpr uint32_t kMaxTableLen = 1 << 20;	// far beyond any real MADT

struct __attribute__((packed)) Rsdp {
	char signature[8];	// "RSD PTR "
	uint8_t checksum;	// of the first 20 bytes
	char oem_id[6];
	uint8_t revision;	// 0: ACPI 1.0 (20 bytes); 2+: the fields below exist
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
};
static_assert(sizeof(Rsdp) == 36);

struct __attribute__((packed)) SdtHeader {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
};
static_assert(sizeof(SdtHeader) == 36);

// MADT interrupt controller structure types.
enum : uint8_t {
	MADT_LOCAL_APIC = 0,
	MADT_IO_APIC = 1,
	MADT_IRQ_OVERRIDE = 2,
	MADT_LAPIC_ADDR_OVERRIDE = 5,
	MADT_LOCAL_X2APIC = 9,
};
constexpr uint32_t MADT_ENABLED = 1;	// Local APIC flags: processor usable
constexpr uint32_t MADT_PCAT_COMPAT = 1;	// MADT flags: 8259 PICs present

template <typename T>
T
get(const uint8_t *p)
{
	T v;
	memcpy(&v, p, sizeof(v));
	return v;
}

bool
rsdp_valid(const uint8_t *r, uint32_t avail)
{
	if (avail < 20 || memcmp(r, "RSD PTR ", 8) != 0 || byte_sum(r, 20) != 0)
		return false;
	if (r[15] < 2)
		return true;
	if (avail < 36)
		return false;
	uint32_t len = get<uint32_t>(r + 20);
	return len >= 36 && len <= avail && byte_sum(r, len) == 0;
}

bool
rsdp_valid_at(uint64_t pa, const PhysMem &mem)
{
	auto *r = static_cast<const uint8_t *>(mem.map(mem.ctx, pa, 20));
	if (r == nullptr)
		return false;
	uint32_t avail = r[15] >= 2 ? 36 : 20;
	r = static_cast<const uint8_t *>(mem.map(mem.ctx, pa, avail));
	return r != nullptr && rsdp_valid(r, avail);
}

// Maps the whole table at pa after checking its header; nullptr (with a
// warning) if it is unreadable, the wrong table, too short or corrupt.
const uint8_t *
map_table(uint64_t pa, const char *sig, const PhysMem &mem, const Diag &diag)
{
	auto *h = static_cast<const SdtHeader *>(mem.map(mem.ctx, pa, sizeof(SdtHeader)));
	if (h == nullptr) {
		diag.say("ACPI %s at %#lx is outside memory", sig, pa);
		return nullptr;
	}
	if (memcmp(h->signature, sig, 4) != 0) {
		diag.say("ACPI table at %#lx has signature '%.4s', expected %s", pa, h->signature, sig);
		return nullptr;
	}
	if (h->length < sizeof(SdtHeader) || h->length > kMaxTableLen) {
		diag.say("ACPI %s at %#lx has an impossible length %u", sig, pa, h->length);
		return nullptr;
	}
	auto *t = static_cast<const uint8_t *>(mem.map(mem.ctx, pa, h->length));
	if (t == nullptr) {
		diag.say("ACPI %s at %#lx runs past the end of memory (length %u)", sig, pa,
			 h->length);
		return nullptr;
	}
	if (byte_sum(t, h->length) != 0) {
		diag.say("ACPI %s at %#lx has a bad checksum", sig, pa);
		return nullptr;
	}
	return t;
}

// Finds the table with signature sig among the root table's entries.
uint64_t
find_table(const uint8_t *root, size_t entry_size, const char *sig, const PhysMem &mem)
{
	uint32_t len = get<uint32_t>(root + 4);
	for (uint32_t off = sizeof(SdtHeader); off + entry_size <= len; off += entry_size) {
		uint64_t pa = entry_size == 8 ? get<uint64_t>(root + off) : get<uint32_t>(root + off);
		auto *h = static_cast<const SdtHeader *>(mem.map(mem.ctx, pa, sizeof(SdtHeader)));
		if (h != nullptr && memcmp(h->signature, sig, 4) == 0)
			return pa;
	}
	return 0;
}

// Walks the MADT's interrupt controller structures. Any malformed entry
// makes the whole table unusable: a CPU list with a hole is worse than
// falling back to another source.
bool
parse_madt(const uint8_t *t, uint64_t pa, SmpConfig *cfg, const Diag &diag)
{
	uint32_t len = get<uint32_t>(t + 4);
	if (len < sizeof(SdtHeader) + 8) {
		diag.say("ACPI MADT at %#lx is too short (%u bytes)", pa, len);
		return false;
	}
	cfg->lapic_pa = get<uint32_t>(t + 36);
	cfg->pic_present = get<uint32_t>(t + 40) & MADT_PCAT_COMPAT;

	for (uint32_t off = sizeof(SdtHeader) + 8; off < len;) {
		if (len - off < 2) {
			diag.say("ACPI MADT at %#lx: truncated entry at offset %u", pa, off);
			return false;
		}
		uint8_t type = t[off], elen = t[off + 1];
		uint8_t need = type == MADT_LOCAL_APIC ? 8 : type == MADT_IO_APIC ? 12
			     : type == MADT_IRQ_OVERRIDE ? 10 : type == MADT_LAPIC_ADDR_OVERRIDE ? 12
			     : type == MADT_LOCAL_X2APIC ? 16 : 2;
		if (elen < need || elen > len - off) {
			diag.say("ACPI MADT at %#lx: entry of type %u at offset %u has length %u "
				 "(needs %u, %u bytes left)", pa, type, off, elen, need, len - off);
			return false;
		}
		const uint8_t *e = t + off;
		switch (type) {
		case MADT_LOCAL_APIC:
			// APIC ID 0xFF is the xAPIC broadcast address, never a CPU.
			if (e[3] == 0xFF && (get<uint32_t>(e + 4) & MADT_ENABLED))
				diag.say("ACPI MADT lists a local APIC with ID 0xFF; ignored");
			else
				smpconfig_add_cpu(cfg, e[3], get<uint32_t>(e + 4) & MADT_ENABLED,
						  "ACPI MADT", diag);
			break;
		case MADT_LOCAL_X2APIC:
			smpconfig_add_cpu(cfg, get<uint32_t>(e + 4), get<uint32_t>(e + 8) & MADT_ENABLED,
					  "ACPI MADT", diag);
			break;
		case MADT_IO_APIC:
			if (cfg->nioapic < kMaxIoApics)
				cfg->ioapics[cfg->nioapic++] =
					IoApicInfo{e[2], get<uint32_t>(e + 4), get<uint32_t>(e + 8)};
			break;
		case MADT_IRQ_OVERRIDE:
			if (cfg->noverride < kMaxIrqOverrides)
				cfg->overrides[cfg->noverride++] =
					IrqOverride{e[3], get<uint32_t>(e + 4), get<uint16_t>(e + 8)};
			break;
		case MADT_LAPIC_ADDR_OVERRIDE:
			cfg->lapic_pa = get<uint64_t>(e + 4);
			break;
		default:
			break;		// NMI sources and newer types: not needed here
		}
		off += elen;
	}
	return true;
}

} // namespace

bool
acpi_parse_madt(const uint8_t *rsdp_copy, uint32_t rsdp_len, const PhysMem &mem,
		SmpConfig *cfg, const Diag &diag)
{
	memset(cfg, 0, sizeof(*cfg));

	// The RSDP: the loader's copy, else the standard search (the first KiB
	// of the EBDA, then the BIOS area 0xE0000-0xFFFFF).
	Rsdp rsdp;
	memset(&rsdp, 0, sizeof(rsdp));
	if (rsdp_len > 0) {
		if (!rsdp_valid(rsdp_copy, rsdp_len)) {
			diag.say("ACPI RSDP from the boot loader is corrupt (bad signature, length "
				 "or checksum)");
			return false;
		}
		memcpy(&rsdp, rsdp_copy, MIN<uint32_t>(rsdp_len, sizeof(rsdp)));
	} else {
		uint64_t pa = 0;
		auto *bda = static_cast<const uint8_t *>(mem.map(mem.ctx, 0x40E, 2));
		uint16_t ebda_segment = bda ? get<uint16_t>(bda) : 0;
		if (ebda_segment != 0)
			pa = firmware_scan(mem, static_cast<uint64_t>(ebda_segment) << 4, 1024, "RSD PTR ",
					   8, rsdp_valid_at);
		if (pa == 0)
			pa = firmware_scan(mem, 0xE0000, 0x20000, "RSD PTR ", 8, rsdp_valid_at);
		if (pa == 0) {
			diag.say("no ACPI RSDP: the loader passed none and the BIOS areas hold none");
			return false;
		}
		auto *r = static_cast<const uint8_t *>(mem.map(mem.ctx, pa, 20));
		memcpy(&rsdp, r, r[15] >= 2 ? 36 : 20);
	}

	const uint8_t *root = nullptr;
	size_t entry_size = 8;
	if (rsdp.revision >= 2 && rsdp.xsdt_address != 0) {
		root = map_table(rsdp.xsdt_address, "XSDT", mem, diag);
		cfg->table_pa = rsdp.xsdt_address;
		memcpy(cfg->table_name, "XSDT", 5);
	}
	if (root == nullptr) {
		root = map_table(rsdp.rsdt_address, "RSDT", mem, diag);
		entry_size = 4;
		cfg->table_pa = rsdp.rsdt_address;
		memcpy(cfg->table_name, "RSDT", 5);
	}
	if (root == nullptr)
		return false;

	uint64_t madt_pa = find_table(root, entry_size, "APIC", mem);
	if (madt_pa == 0) {
		diag.say("ACPI %s at %#lx lists no MADT", cfg->table_name, cfg->table_pa);
		return false;
	}
	const uint8_t *madt = map_table(madt_pa, "APIC", mem, diag);
	if (madt == nullptr || !parse_madt(madt, madt_pa, cfg, diag))
		return false;
	if (cfg->ncpu == 0) {
		diag.say("ACPI MADT at %#lx lists no enabled processor", madt_pa);
		return false;
	}
	return true;
}

const uint8_t *
acpi_find_table(uint64_t root_pa, bool xsdt, const char *sig, const PhysMem &mem, const Diag &diag)
{
	const uint8_t *root = map_table(root_pa, xsdt ? "XSDT" : "RSDT", mem, diag);
	if (root == nullptr)
		return nullptr;
	uint64_t pa = find_table(root, xsdt ? 8 : 4, sig, mem);
	return pa == 0 ? nullptr : map_table(pa, sig, mem, diag);
}
