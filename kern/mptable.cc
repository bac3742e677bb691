// Intel MultiProcessor Specification 1.4 tables, the way JOS and xv6 find
// CPUs. QEMU's firmware still builds them, but (since QEMU 6.2) they may list
// fewer CPUs than the machine has: ACPI comes first for that reason.

#include <inc/string.h>
#include <kern/smpconfig.h>

namespace {

struct __attribute__((packed)) MpFloat {
	char signature[4];	// "_MP_"
	uint32_t physaddr;	// of the configuration table
	uint8_t length;		// in 16-byte units (1)
	uint8_t specrev;
	uint8_t checksum;
	uint8_t type;		// nonzero: a default configuration, no table
	uint8_t imcrp;		// bit 7: IMCR present (PIC mode)
	uint8_t reserved[3];
};
static_assert(sizeof(MpFloat) == 16);

struct __attribute__((packed)) MpConf {
	char signature[4];	// "PCMP"
	uint16_t length;	// of the base table
	uint8_t version;	// 1 or 4
	uint8_t checksum;
	char product[20];
	uint32_t oemtable;
	uint16_t oemlength;
	uint16_t entry;		// number of entries
	uint32_t lapicaddr;
	uint16_t xlength;
	uint8_t xchecksum;
	uint8_t reserved;
};
static_assert(sizeof(MpConf) == 44);

enum : uint8_t { MPPROC = 0, MPBUS = 1, MPIOAPIC = 2, MPIOINTR = 3, MPLINTR = 4 };
constexpr uint8_t MPPROC_ENABLED = 0x01, MPPROC_BOOT = 0x02;

bool
float_valid(uint64_t pa, const PhysMem &mem)
{
	auto *p = static_cast<const uint8_t *>(mem.map(mem.ctx, pa, sizeof(MpFloat)));
	return p != nullptr && byte_sum(p, sizeof(MpFloat)) == 0;
}

// JOS's search order: the first KiB of the EBDA, the last KiB of base
// memory, then the BIOS ROM.
uint64_t
mpsearch(const PhysMem &mem)
{
	auto *bda = static_cast<const uint8_t *>(mem.map(mem.ctx, 0x400, 0x20));
	if (bda == nullptr)
		return 0;
	uint64_t pa = 0;
	uint32_t ebda = static_cast<uint32_t>(bda[0x0F] << 8 | bda[0x0E]) << 4;
	if (ebda != 0)
		pa = firmware_scan(mem, ebda, 1024, "_MP_", 4, float_valid);
	if (pa == 0) {
		uint32_t basemem = static_cast<uint32_t>(bda[0x14] << 8 | bda[0x13]) * 1024;
		if (basemem >= 1024)
			pa = firmware_scan(mem, basemem - 1024, 1024, "_MP_", 4, float_valid);
	}
	if (pa == 0)
		pa = firmware_scan(mem, 0xF0000, 0x10000, "_MP_", 4, float_valid);
	return pa;
}

} // namespace

bool
mptable_parse(const PhysMem &mem, SmpConfig *cfg, const Diag &diag)
{
	memset(cfg, 0, sizeof(*cfg));
	uint64_t fpa = mpsearch(mem);
	if (fpa == 0) {
		diag.say("no MP floating pointer structure (\"_MP_\") in the BIOS areas");
		return false;
	}
	MpFloat mp;
	memcpy(&mp, mem.map(mem.ctx, fpa, sizeof(mp)), sizeof(mp));
	if (mp.physaddr == 0 || mp.type != 0) {
		diag.say("MP floating pointer at %#lx describes a default configuration "
			 "(type %u), which is not supported", fpa, mp.type);
		return false;
	}

	auto *conf = static_cast<const MpConf *>(mem.map(mem.ctx, mp.physaddr, sizeof(MpConf)));
	if (conf == nullptr || memcmp(conf->signature, "PCMP", 4) != 0) {
		diag.say("MP configuration table at %#x is missing or has a bad signature",
			 mp.physaddr);
		return false;
	}
	if (conf->version != 1 && conf->version != 4) {
		diag.say("MP configuration table at %#x has unsupported version %u", mp.physaddr,
			 conf->version);
		return false;
	}
	auto *t = static_cast<const uint8_t *>(mem.map(mem.ctx, mp.physaddr, conf->length));
	if (conf->length < sizeof(MpConf) || t == nullptr) {
		diag.say("MP configuration table at %#x has an impossible length %u", mp.physaddr,
			 conf->length);
		return false;
	}
	if (byte_sum(t, conf->length) != 0) {
		diag.say("MP configuration table at %#x has a bad checksum", mp.physaddr);
		return false;
	}

	cfg->lapic_pa = conf->lapicaddr;
	cfg->pic_present = mp.imcrp & 0x80;
	cfg->table_pa = mp.physaddr;
	memcpy(cfg->table_name, "MP", 3);

	uint32_t off = sizeof(MpConf);
	for (uint32_t i = 0; i < conf->entry; i++) {
		if (off >= conf->length) {
			diag.say("MP configuration table at %#x: %u entries do not fit its length %u",
				 mp.physaddr, conf->entry, conf->length);
			return false;
		}
		uint8_t type = t[off];
		uint32_t size = type == MPPROC ? 20 : 8;
		if (type > MPLINTR || size > conf->length - off) {
			diag.say("MP configuration table at %#x: entry %u at offset %u has %s",
				 mp.physaddr, i, off, type > MPLINTR ? "an unknown type" : "no room");
			return false;
		}
		const uint8_t *e = t + off;
		if (type == MPPROC) {
			smpconfig_add_cpu(cfg, e[1], e[3] & MPPROC_ENABLED, "MP table", diag);
			if ((e[3] & MPPROC_ENABLED) && (e[3] & MPPROC_BOOT)) {
				cfg->has_bsp_id = true;
				cfg->bsp_apic_id = e[1];
			}
		} else if (type == MPIOAPIC && (e[3] & 1) && cfg->nioapic < kMaxIoApics) {
			uint32_t addr;
			memcpy(&addr, e + 4, 4);
			cfg->ioapics[cfg->nioapic++] = IoApicInfo{e[1], addr, 0};
		}
		off += size;
	}
	if (cfg->ncpu == 0) {
		diag.say("MP configuration table at %#x lists no enabled processor", mp.physaddr);
		return false;
	}
	return true;
}
