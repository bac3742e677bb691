// Host tests for the parsers the kernel runs on firmware and user input:
// the same source files, compiled for the host. Fixtures are tables a
// running kernel read (host/capture.py); the expected values come from the
// QEMU configuration that produced each one, not from the parser.

#include <algorithm>
#include <cstdarg>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "host/fixture.h"
#include <inc/error.h>
#include <inc/memlayout.h>
#include <inc/stdio.h>
#include <kern/bootinfo.h>
#include <kern/cmdline.h>
#include <kern/elf.h>
#include <kern/smpconfig.h>

using host::FakeMem;
using host::Fixture;

namespace {

std::string
source_dir()
{
	const char *d = std::getenv("SMPJOS_ROOT");
	return d ? d : ".";
}

Fixture
fixture(const std::string &name)
{
	Fixture f;
	std::string path = source_dir() + "/host/fixtures/" + name + ".dump";
	if (!host::load_fixture(path, &f))
		ADD_FAILURE() << "cannot load fixture " << path;
	return f;
}

// Collects parser warnings.
struct Messages {
	std::vector<std::string> lines;
	Diag diag()
	{
		return Diag{[](void *ctx, const char *m) { static_cast<Messages *>(ctx)->lines.push_back(m); },
			    this};
	}
	bool mention(const std::string &s) const
	{
		return std::any_of(lines.begin(), lines.end(),
				   [&](const std::string &l) { return l.find(s) != std::string::npos; });
	}
	std::string all() const
	{
		std::string out;
		for (const auto &l : lines)
			out += l + "\n";
		return out;
	}
};

template <typename T>
T
read_at(FakeMem &m, uint64_t pa)
{
	T v;
	uint8_t *p = m.find(pa, sizeof(T));
	EXPECT_NE(p, nullptr) << "no memory at " << std::hex << pa;
	std::memcpy(&v, p, sizeof(T));
	return v;
}

template <typename T>
void
write_at(FakeMem &m, uint64_t pa, T v)
{
	uint8_t *p = m.find(pa, sizeof(T));
	ASSERT_NE(p, nullptr);
	std::memcpy(p, &v, sizeof(T));
}

// Makes an ACPI table's bytes sum to zero again (checksum at offset 9).
void
fix_checksum(FakeMem &m, uint64_t pa)
{
	uint32_t len = read_at<uint32_t>(m, pa + 4);
	uint8_t *t = m.find(pa, len);
	ASSERT_NE(t, nullptr);
	t[9] = 0;
	t[9] = static_cast<uint8_t>(-byte_sum(t, len));
}

// The MADT's address, found the way firmware lays it out (RSDT entries).
uint64_t
madt_pa(Fixture &f)
{
	uint32_t rsdt;
	std::memcpy(&rsdt, f.rsdp.data() + 16, 4);
	uint32_t len = read_at<uint32_t>(f.firmware, rsdt + 4);
	for (uint32_t off = 36; off + 4 <= len; off += 4) {
		uint32_t pa = read_at<uint32_t>(f.firmware, rsdt + off);
		uint8_t *sig = f.firmware.find(pa, 4);
		if (sig && std::memcmp(sig, "APIC", 4) == 0)
			return pa;
	}
	ADD_FAILURE() << "no MADT in " << f.name;
	return 0;
}

// Offset of the n-th MADT entry of a type.
uint32_t
madt_entry(Fixture &f, uint64_t madt, uint8_t type, int n = 0)
{
	uint32_t len = read_at<uint32_t>(f.firmware, madt + 4);
	for (uint32_t off = 44; off + 2 <= len; off += read_at<uint8_t>(f.firmware, madt + off + 1))
		if (read_at<uint8_t>(f.firmware, madt + off) == type && n-- == 0)
			return off;
	ADD_FAILURE() << "no MADT entry of type " << int(type);
	return 0;
}

bool
parse_acpi(Fixture &f, SmpConfig *cfg, Messages *msgs)
{
	return acpi_parse_madt(f.rsdp.data(), static_cast<uint32_t>(f.rsdp.size()),
			       f.firmware.physmem(), cfg, msgs->diag());
}

std::vector<uint32_t>
ids(const SmpConfig &cfg)
{
	return std::vector<uint32_t>(cfg.apic_ids, cfg.apic_ids + cfg.ncpu);
}

const MemRegion *
highest_usable(const BootInfo &bi)
{
	const MemRegion *best = nullptr;
	for (int i = 0; i < bi.nmmap; i++)
		if (bi.mmap[i].type == MEM_USABLE &&
		    (!best || bi.mmap[i].base + bi.mmap[i].len > best->base + best->len))
			best = &bi.mmap[i];
	return best;
}

} // namespace

// ---------------------------------------------------------------------------
// Boot information

TEST(BootInfo, PvhStartInfoFromQboot)
{
	Fixture f = fixture("qboot-q35-smp4");
	BootInfo bi;
	ASSERT_TRUE(bootinfo_parse(f.magic, f.info_pa, f.bootinfo.physmem(), &bi)) << bi.error;
	EXPECT_EQ(bi.protocol, BootProtocol::Pvh);
	EXPECT_STREQ(bi.cmdline, "monitor=off tabledump=on run=hello");
	// MEM=256M on q35: all RAM below 4 GiB, the last byte at 256 MiB.
	const MemRegion *top = highest_usable(bi);
	ASSERT_NE(top, nullptr);
	EXPECT_EQ(top->base + top->len, 256UL << 20);
	ASSERT_GE(bi.rsdp_len, 20U);
	EXPECT_EQ(std::memcmp(bi.rsdp, "RSD PTR ", 8), 0);
}

TEST(BootInfo, Multiboot2FromGrub)
{
	Fixture f = fixture("grub-seabios-smp4");
	BootInfo bi;
	ASSERT_TRUE(bootinfo_parse(f.magic, f.info_pa, f.bootinfo.physmem(), &bi)) << bi.error;
	EXPECT_EQ(bi.protocol, BootProtocol::Multiboot2);
	EXPECT_STREQ(bi.cmdline, "monitor=off tabledump=on run=hello");
	const MemRegion *top = highest_usable(bi);
	ASSERT_NE(top, nullptr);
	// SeaBIOS keeps the last pages of RAM for itself.
	EXPECT_LE(top->base + top->len, 256UL << 20);
	EXPECT_GE(top->base + top->len, 250UL << 20);
	EXPECT_EQ(std::memcmp(bi.rsdp, "RSD PTR ", 8), 0);
	EXPECT_EQ(bi.nreserved, 1);	// the info structure itself
	EXPECT_EQ(bi.reserved[0].base, f.info_pa);
}

TEST(BootInfo, ScreenUnderSeabiosIsTextMode)
{
	// GRUB keeps VGA text mode under a BIOS (grub.cfg asks for it), and says
	// so in the framebuffer tag.
	Fixture f = fixture("grub-seabios-smp4");
	BootInfo bi;
	ASSERT_TRUE(bootinfo_parse(f.magic, f.info_pa, f.bootinfo.physmem(), &bi)) << bi.error;
	ASSERT_TRUE(bi.has_fb);
	EXPECT_EQ(bi.fb.type, FbType::EgaText);
	EXPECT_EQ(bi.fb.addr, 0xB8000U);
	EXPECT_EQ(bi.fb.width, 80U);
	EXPECT_EQ(bi.fb.height, 25U);
	EXPECT_FALSE(bi.efi);
	EXPECT_EQ(bi.efi_descs, 0U);
}

TEST(BootInfo, Multiboot2UnderUefi)
{
	Fixture f = fixture("grub-ovmf-smp4");
	BootInfo bi;
	ASSERT_TRUE(bootinfo_parse(f.magic, f.info_pa, f.bootinfo.physmem(), &bi)) << bi.error;
	EXPECT_EQ(bi.protocol, BootProtocol::Multiboot2);
	EXPECT_TRUE(bi.efi);
	// The mode the kernel's header asks for, which QEMU's standard VGA
	// offers, in its 32-bit layout: blue in the low byte, then green, red.
	ASSERT_TRUE(bi.has_fb);
	EXPECT_EQ(bi.fb.type, FbType::Rgb);
	EXPECT_EQ(bi.fb.width, 1024U);
	EXPECT_EQ(bi.fb.height, 768U);
	EXPECT_EQ(bi.fb.bpp, 32);
	EXPECT_GE(bi.fb.pitch, 1024U * 4);
	EXPECT_EQ(bi.fb.red_pos, 16);
	EXPECT_EQ(bi.fb.green_pos, 8);
	EXPECT_EQ(bi.fb.blue_pos, 0);
	EXPECT_EQ(bi.fb.red_size, 8);
	// Every region of both maps has a name; the EFI map has free memory.
	for (int i = 0; i < bi.nmmap; i++)
		EXPECT_STRNE(mem_type_name(bi.mmap[i].type), "unknown")
			<< "type " << bi.mmap[i].type;
	EXPECT_GT(bi.efi_descs, 10U);
	EXPECT_EQ(bi.efi_other_types, 0U);
	EXPECT_GT(bi.efi_pages[7], 0U);		// EfiConventionalMemory
	// MEM=256M: usable RAM ends below 256 MiB (OVMF keeps some).
	const MemRegion *top = highest_usable(bi);
	ASSERT_NE(top, nullptr);
	EXPECT_LE(top->base + top->len, 256UL << 20);
	EXPECT_EQ(std::memcmp(bi.rsdp, "RSD PTR ", 8), 0);
	EXPECT_GE(bi.rsdp[15], 2);		// ACPI 2.0: the XSDT
	const MemRegion *blocker;
	EXPECT_TRUE(mem_range_usable(bi, MPENTRY_PADDR, PGSIZE, &blocker));
}

TEST(BootInfo, UsableRangeNamesWhatIsInTheWay)
{
	BootInfo bi{};
	bi.mmap[0] = MemRegion{0, 0x6000, MEM_USABLE};
	bi.mmap[1] = MemRegion{0x6000, 0x2000, MEM_USABLE};	// abuts: one usable range
	bi.mmap[2] = MemRegion{0x8000, 0x1000, MEM_FW_CODE};
	bi.mmap[3] = MemRegion{0x9000, 0x1000, MEM_USABLE};
	bi.mmap[4] = MemRegion{0x7800, 0x100, MEM_RESERVED};	// overlaps usable: wins
	bi.nmmap = 4;
	const MemRegion *blocker = &bi.mmap[0];
	EXPECT_TRUE(mem_range_usable(bi, 0x5000, 0x2000, &blocker));
	EXPECT_EQ(blocker, nullptr);
	EXPECT_FALSE(mem_range_usable(bi, 0x7000, 0x2000, &blocker));
	ASSERT_NE(blocker, nullptr);
	EXPECT_EQ(blocker->type, MEM_FW_CODE);
	EXPECT_STREQ(mem_type_name(blocker->type), "firmware code (EFI runtime)");
	EXPECT_FALSE(mem_range_usable(bi, 0xA000, 0x1000, &blocker));	// past the map
	EXPECT_EQ(blocker, nullptr);
	bi.nmmap = 5;
	EXPECT_FALSE(mem_range_usable(bi, 0x7000, 0x1000, &blocker));
	ASSERT_NE(blocker, nullptr);
	EXPECT_EQ(blocker->type, MEM_RESERVED);
	EXPECT_STREQ(efi_mem_type_name(5), "runtime services code");
	EXPECT_STREQ(efi_mem_type_name(99), "unknown");
}

TEST(BootInfo, MemReserveWinsOverUsable)
{
	BootInfo bi{};
	bi.mmap[0] = MemRegion{0, 16 << 20, MEM_USABLE};
	bi.nmmap = 1;
	ASSERT_TRUE(mem_reserve(&bi, 4 << 20, 1 << 20));
	const MemRegion *blocker;
	EXPECT_TRUE(mem_range_usable(bi, 3 << 20, 1 << 20, &blocker));
	EXPECT_TRUE(mem_range_usable(bi, 5 << 20, 1 << 20, &blocker));
	EXPECT_FALSE(mem_range_usable(bi, (5 << 20) - 1, 2, &blocker));
	ASSERT_NE(blocker, nullptr);
	EXPECT_EQ(blocker->type, MEM_RESERVED);
	EXPECT_EQ(mem_region_at(bi, 4 << 20)->type, MEM_RESERVED);
	bi.nmmap = ARRAY_SIZE(bi.mmap);
	EXPECT_FALSE(mem_reserve(&bi, 0, 1));	// no room: the map is left as it was
	EXPECT_EQ(bi.nmmap, static_cast<int>(ARRAY_SIZE(bi.mmap)));
}

TEST(BootInfo, RamAboveTheHole)
{
	// -m 6G on q35: 2 GiB below the PCI hole, 4 GiB from 4 GiB up.
	Fixture f = fixture("qboot-q35-mem6g");
	BootInfo bi;
	ASSERT_TRUE(bootinfo_parse(f.magic, f.info_pa, f.bootinfo.physmem(), &bi)) << bi.error;
	const MemRegion *top = highest_usable(bi);
	ASSERT_NE(top, nullptr);
	EXPECT_EQ(top->base, 4UL << 30);
	EXPECT_EQ(top->base + top->len, 8UL << 30);
}

TEST(BootInfo, UnknownProtocol)
{
	Fixture f = fixture("qboot-q35-smp4");
	BootInfo bi;
	EXPECT_FALSE(bootinfo_parse(0x2BADB002, f.info_pa, f.bootinfo.physmem(), &bi));
	EXPECT_NE(std::string(bi.error).find("unknown boot protocol"), std::string::npos);
}

TEST(BootInfo, PvhBadMagicVersionAndMemmap)
{
	Fixture f = fixture("qboot-q35-smp4");
	BootInfo bi;
	FakeMem &m = f.bootinfo;
	uint32_t magic = read_at<uint32_t>(m, f.info_pa);

	write_at<uint32_t>(m, f.info_pa, 0x12345678);
	EXPECT_FALSE(bootinfo_parse(f.magic, f.info_pa, m.physmem(), &bi));
	EXPECT_NE(std::string(bi.error).find("magic is 0x12345678"), std::string::npos) << bi.error;
	write_at<uint32_t>(m, f.info_pa, magic);

	write_at<uint32_t>(m, f.info_pa + 4, 0);	// version 0: no memory map
	EXPECT_FALSE(bootinfo_parse(f.magic, f.info_pa, m.physmem(), &bi));
	EXPECT_NE(std::string(bi.error).find("version 0"), std::string::npos) << bi.error;
	write_at<uint32_t>(m, f.info_pa + 4, 1);

	write_at<uint64_t>(m, f.info_pa + 40, 0xDEAD0000);	// memmap_paddr: nowhere
	EXPECT_FALSE(bootinfo_parse(f.magic, f.info_pa, m.physmem(), &bi));
	EXPECT_NE(std::string(bi.error).find("not readable"), std::string::npos) << bi.error;
}

TEST(BootInfo, Multiboot2Truncations)
{
	Fixture f = fixture("grub-seabios-smp4");
	BootInfo bi;
	FakeMem &m = f.bootinfo;
	uint32_t total = read_at<uint32_t>(m, f.info_pa);

	// total_size cut short: the end tag is no longer inside.
	write_at<uint32_t>(m, f.info_pa, 24);
	EXPECT_FALSE(bootinfo_parse(f.magic, f.info_pa, m.physmem(), &bi));
	EXPECT_NE(std::string(bi.error).find("no end tag within 24 bytes"), std::string::npos)
		<< bi.error;
	write_at<uint32_t>(m, f.info_pa, total);

	// The first tag claims more bytes than there are.
	uint32_t size = read_at<uint32_t>(m, f.info_pa + 12);
	write_at<uint32_t>(m, f.info_pa + 12, total + 8);
	EXPECT_FALSE(bootinfo_parse(f.magic, f.info_pa, m.physmem(), &bi));
	EXPECT_NE(std::string(bi.error).find("past the end of the info"), std::string::npos)
		<< bi.error;
	write_at<uint32_t>(m, f.info_pa + 12, size);

	// Misaligned info pointer.
	EXPECT_FALSE(bootinfo_parse(f.magic, f.info_pa + 4, m.physmem(), &bi));
	EXPECT_NE(std::string(bi.error).find("not 8-byte aligned"), std::string::npos);

	// No memory map tag: rename it.
	for (uint32_t off = 8; off < total;) {
		uint32_t type = read_at<uint32_t>(m, f.info_pa + off);
		uint32_t tsize = read_at<uint32_t>(m, f.info_pa + off + 4);
		if (type == 6)
			write_at<uint32_t>(m, f.info_pa + off, 99);
		if (type == 0 || tsize < 8)
			break;
		off += (tsize + 7) & ~7U;
	}
	EXPECT_FALSE(bootinfo_parse(f.magic, f.info_pa, m.physmem(), &bi));
	EXPECT_NE(std::string(bi.error).find("no memory map"), std::string::npos) << bi.error;
}

// ---------------------------------------------------------------------------
// ACPI MADT

struct MadtCase {
	const char *fixture;
	std::vector<uint32_t> apic_ids;	// from the QEMU topology
	int ndisabled;
};

class Madt : public ::testing::TestWithParam<MadtCase> {};

TEST_P(Madt, ListsTheCpusQemuWasGiven)
{
	Fixture f = fixture(GetParam().fixture);
	SmpConfig cfg;
	Messages msgs;
	ASSERT_TRUE(parse_acpi(f, &cfg, &msgs)) << msgs.all();
	EXPECT_EQ(ids(cfg), GetParam().apic_ids);
	EXPECT_EQ(cfg.ndisabled, GetParam().ndisabled);
	EXPECT_EQ(cfg.lapic_pa, 0xFEE00000UL);
	ASSERT_GE(cfg.nioapic, 1);
	EXPECT_EQ(cfg.ioapics[0].pa, 0xFEC00000UL);
	EXPECT_TRUE(msgs.lines.empty()) << msgs.all();
}

std::vector<uint32_t>
range_ids(uint32_t n)
{
	std::vector<uint32_t> v(n);
	for (uint32_t i = 0; i < n; i++)
		v[i] = i;
	return v;
}

INSTANTIATE_TEST_SUITE_P(
	Fixtures, Madt,
	::testing::Values(MadtCase{"qboot-q35-smp4", range_ids(4), 0},
			  MadtCase{"qboot-q35-sockets2-cores3", {0, 1, 2, 4, 5, 6}, 0},
			  MadtCase{"qboot-q35-maxcpus4", range_ids(2), 2},
			  MadtCase{"grub-seabios-smp4", range_ids(4), 0},
			  MadtCase{"kvm-q35-smp260", range_ids(260), 0}));

TEST(Acpi, NoTablesAnywhere)
{
	Fixture f = fixture("qboot-noacpi");
	SmpConfig cfg;
	Messages msgs;
	EXPECT_FALSE(parse_acpi(f, &cfg, &msgs));
	EXPECT_TRUE(msgs.mention("no ACPI RSDP")) << msgs.all();
}

TEST(Acpi, CorruptRsdpCopy)
{
	Fixture f = fixture("qboot-q35-smp4");
	f.rsdp[9] ^= 0xFF;	// an OEM id byte: the checksum no longer holds
	SmpConfig cfg;
	Messages msgs;
	EXPECT_FALSE(parse_acpi(f, &cfg, &msgs));
	EXPECT_TRUE(msgs.mention("RSDP from the boot loader is corrupt")) << msgs.all();
}

TEST(Acpi, RsdtWithBadChecksum)
{
	Fixture f = fixture("qboot-q35-smp4");
	uint32_t rsdt;
	std::memcpy(&rsdt, f.rsdp.data() + 16, 4);
	f.firmware.find(rsdt + 10, 1)[0] ^= 0x55;	// OEM id
	SmpConfig cfg;
	Messages msgs;
	EXPECT_FALSE(parse_acpi(f, &cfg, &msgs));
	EXPECT_TRUE(msgs.mention("ACPI RSDT")) << msgs.all();
	EXPECT_TRUE(msgs.mention("bad checksum")) << msgs.all();
}

TEST(Acpi, RsdtOutsideMemory)
{
	Fixture f = fixture("qboot-q35-smp4");
	uint32_t nowhere = 0x80000000;
	std::memcpy(f.rsdp.data() + 16, &nowhere, 4);
	f.rsdp[8] = 0;
	f.rsdp[8] = static_cast<uint8_t>(-byte_sum(f.rsdp.data(), 20));
	SmpConfig cfg;
	Messages msgs;
	EXPECT_FALSE(parse_acpi(f, &cfg, &msgs));
	EXPECT_TRUE(msgs.mention("outside memory")) << msgs.all();
}

TEST(Acpi, MadtLongerThanMemory)
{
	Fixture f = fixture("qboot-q35-smp4");
	write_at<uint32_t>(f.firmware, madt_pa(f) + 4, 0x10000);
	SmpConfig cfg;
	Messages msgs;
	EXPECT_FALSE(parse_acpi(f, &cfg, &msgs));
	EXPECT_TRUE(msgs.mention("runs past the end of memory")) << msgs.all();
}

TEST(Acpi, ZeroLengthEntry)
{
	Fixture f = fixture("qboot-q35-smp4");
	uint64_t madt = madt_pa(f);
	write_at<uint8_t>(f.firmware, madt + madt_entry(f, madt, 0) + 1, 0);
	fix_checksum(f.firmware, madt);
	SmpConfig cfg;
	Messages msgs;
	EXPECT_FALSE(parse_acpi(f, &cfg, &msgs));
	EXPECT_TRUE(msgs.mention("has length 0")) << msgs.all();
}

TEST(Acpi, EntryRunningPastTheTable)
{
	Fixture f = fixture("qboot-q35-smp4");
	uint64_t madt = madt_pa(f);
	uint32_t len = read_at<uint32_t>(f.firmware, madt + 4);
	write_at<uint32_t>(f.firmware, madt + 4, len - 3);	// cuts the last entry
	fix_checksum(f.firmware, madt);
	SmpConfig cfg;
	Messages msgs;
	EXPECT_FALSE(parse_acpi(f, &cfg, &msgs));
	EXPECT_TRUE(msgs.mention("bytes left")) << msgs.all();
}

TEST(Acpi, UnknownEntryTypeIsSkipped)
{
	Fixture f = fixture("qboot-q35-smp4");
	uint64_t madt = madt_pa(f);
	write_at<uint8_t>(f.firmware, madt + madt_entry(f, madt, 1), 0x7F);	// the I/O APIC
	fix_checksum(f.firmware, madt);
	SmpConfig cfg;
	Messages msgs;
	ASSERT_TRUE(parse_acpi(f, &cfg, &msgs)) << msgs.all();
	EXPECT_EQ(cfg.ncpu, 4);
	EXPECT_EQ(cfg.nioapic, 0);
}

TEST(Acpi, DuplicateApicId)
{
	Fixture f = fixture("qboot-q35-smp4");
	uint64_t madt = madt_pa(f);
	write_at<uint8_t>(f.firmware, madt + madt_entry(f, madt, 0, 2) + 3, 1);	// CPU 2 says 1
	fix_checksum(f.firmware, madt);
	SmpConfig cfg;
	Messages msgs;
	ASSERT_TRUE(parse_acpi(f, &cfg, &msgs)) << msgs.all();
	EXPECT_EQ(ids(cfg), (std::vector<uint32_t>{0, 1, 3}));
	EXPECT_TRUE(msgs.mention("lists APIC ID 1 twice")) << msgs.all();
}

TEST(Acpi, MoreCpusThanNcpu)
{
	// A made-up machine: RSDT -> MADT with NCPU + 7 x2APIC entries.
	const uint32_t n = NCPU + 7;
	std::vector<uint8_t> madt(44 + 16 * n);
	std::memcpy(madt.data(), "APIC", 4);
	uint32_t len = static_cast<uint32_t>(madt.size()), lapic = 0xFEE00000;
	std::memcpy(madt.data() + 4, &len, 4);
	std::memcpy(madt.data() + 36, &lapic, 4);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *e = madt.data() + 44 + 16 * i;
		e[0] = 9, e[1] = 16;
		uint32_t id = 1000 + i, flags = 1;
		std::memcpy(e + 4, &id, 4);
		std::memcpy(e + 8, &flags, 4);
	}
	std::vector<uint8_t> rsdt(40);
	std::memcpy(rsdt.data(), "RSDT", 4);
	uint32_t rlen = 40, madt_at = 0x200000;
	std::memcpy(rsdt.data() + 4, &rlen, 4);
	std::memcpy(rsdt.data() + 36, &madt_at, 4);
	FakeMem mem;
	mem.add(0x100000, rsdt);
	mem.add(madt_at, madt);
	fix_checksum(mem, 0x100000);
	fix_checksum(mem, madt_at);
	uint8_t rsdp[20] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
	uint32_t rsdt_at = 0x100000;
	std::memcpy(rsdp + 16, &rsdt_at, 4);
	rsdp[8] = static_cast<uint8_t>(-byte_sum(rsdp, 20));

	SmpConfig cfg;
	Messages msgs;
	ASSERT_TRUE(acpi_parse_madt(rsdp, 20, mem.physmem(), &cfg, msgs.diag())) << msgs.all();
	EXPECT_EQ(cfg.ncpu, NCPU);
	EXPECT_EQ(cfg.nbeyond, 7);
	EXPECT_EQ(cfg.apic_ids[NCPU - 1], 1000U + NCPU - 1);
}

// Which firmware entry is the boot CPU: by its own APIC's ID, wherever the
// table lists it (the 257-CPU machine's MADT under qboot lists 1 0 2 ...).
SmpConfig
cpus_with_ids(std::initializer_list<uint32_t> ids)
{
	SmpConfig cfg{};
	for (uint32_t id : ids)
		cfg.apic_ids[cfg.ncpu++] = id;
	return cfg;
}

TEST(SmpConfig, BootCpuFoundWhereverListed)
{
	SmpConfig cfg = cpus_with_ids({1, 0, 2, 3});
	EXPECT_EQ(smpconfig_find_self(cfg, 0, false), 1);
	EXPECT_EQ(smpconfig_find_self(cfg, 0, true), 1);
	EXPECT_EQ(smpconfig_find_self(cfg, 3, true), 3);
	EXPECT_EQ(smpconfig_find_self(cfg, 7, false), kNotListed);
}

TEST(SmpConfig, EightBitIdsThatMatchSeveralCpusAreAmbiguous)
{
	// In xAPIC mode the ID register holds the low 8 bits: 0 is CPU 0 or
	// CPU 256; only the full x2APIC ID tells.
	SmpConfig cfg = cpus_with_ids({0, 1, 255, 256, 257});
	EXPECT_EQ(smpconfig_find_self(cfg, 0, true), kAmbiguous);
	EXPECT_EQ(smpconfig_find_self(cfg, 1, true), kAmbiguous);
	EXPECT_EQ(smpconfig_find_self(cfg, 255, true), 2);
	EXPECT_EQ(smpconfig_find_self(cfg, 0, false), 0);
	EXPECT_EQ(smpconfig_find_self(cfg, 256, false), 3);
}

// ---------------------------------------------------------------------------
// MP tables

TEST(MpTable, SeabiosListsOneCpuForSmp4)
{
	// QEMU 6.2 and later give SeaBIOS's MP table one CPU whatever -smp
	// says: the reason ACPI comes first.
	Fixture f = fixture("grub-seabios-smp4");
	SmpConfig cfg;
	Messages msgs;
	ASSERT_TRUE(mptable_parse(f.firmware.physmem(), &cfg, msgs.diag())) << msgs.all();
	EXPECT_EQ(ids(cfg), std::vector<uint32_t>{0});
	EXPECT_TRUE(cfg.has_bsp_id);
	EXPECT_EQ(cfg.bsp_apic_id, 0U);
	EXPECT_EQ(cfg.lapic_pa, 0xFEE00000UL);
	EXPECT_STREQ(cfg.table_name, "MP");
}

TEST(MpTable, QbootHasNone)
{
	Fixture f = fixture("qboot-q35-smp4");
	SmpConfig cfg;
	Messages msgs;
	EXPECT_FALSE(mptable_parse(f.firmware.physmem(), &cfg, msgs.diag()));
	EXPECT_TRUE(msgs.mention("no MP floating pointer")) << msgs.all();
}

TEST(MpTable, BrokenConfigurationTable)
{
	Fixture f = fixture("grub-seabios-smp4");
	SmpConfig cfg;
	Messages msgs;
	ASSERT_TRUE(mptable_parse(f.firmware.physmem(), &cfg, msgs.diag()));
	uint64_t conf = cfg.table_pa;

	// One byte changed: the checksum fails.
	f.firmware.find(conf + 8, 1)[0] ^= 0x20;
	EXPECT_FALSE(mptable_parse(f.firmware.physmem(), &cfg, msgs.diag()));
	EXPECT_TRUE(msgs.mention("bad checksum")) << msgs.all();
	f.firmware.find(conf + 8, 1)[0] ^= 0x20;

	// More entries than the table holds (the checksum fixed up).
	uint16_t count = read_at<uint16_t>(f.firmware, conf + 34);
	write_at<uint16_t>(f.firmware, conf + 34, static_cast<uint16_t>(count + 50));
	uint16_t len = read_at<uint16_t>(f.firmware, conf + 4);
	uint8_t *t = f.firmware.find(conf, len);
	t[7] = 0;
	t[7] = static_cast<uint8_t>(-byte_sum(t, len));
	msgs.lines.clear();
	EXPECT_FALSE(mptable_parse(f.firmware.physmem(), &cfg, msgs.diag()));
	EXPECT_TRUE(msgs.mention("do not fit")) << msgs.all();
}

// ---------------------------------------------------------------------------
// Kernel command line

namespace {
int
parse(const char *line, KernelArgs *a, Messages *m)
{
	return cmdline_parse(line, a, [](void *ctx, const char *s) {
		static_cast<Messages *>(ctx)->lines.push_back(s);
	}, m);
}
} // namespace

TEST(Cmdline, EveryArgument)
{
	KernelArgs a;
	Messages m;
	EXPECT_EQ(parse("  apic=x2apic smpboot=parallel acpi=off timing=on tabledump=on "
			"monitor=off crash=overflow crashcpu=0x10 run=hello,yield*3  ", &a, &m), 0)
		<< m.all();
	EXPECT_EQ(a.apic, ApicMode::X2apic);
	EXPECT_EQ(a.smpboot, SmpBoot::Parallel);
	EXPECT_FALSE(a.acpi);
	EXPECT_TRUE(a.timing);
	EXPECT_TRUE(a.tabledump);
	EXPECT_FALSE(a.monitor);
	EXPECT_EQ(a.crash, Crash::Overflow);
	EXPECT_EQ(a.crashcpu, 16U);
	ASSERT_EQ(a.nrun, 2);
	EXPECT_STREQ(a.run[0].name, "hello");
	EXPECT_EQ(a.run[0].copies, 1U);
	EXPECT_STREQ(a.run[1].name, "yield");
	EXPECT_EQ(a.run[1].copies, 3U);
}

TEST(Cmdline, EmptyKeepsDefaults)
{
	KernelArgs a;
	Messages m;
	EXPECT_EQ(parse("", &a, &m), 0);
	EXPECT_EQ(a.apic, ApicMode::Auto);
	EXPECT_TRUE(a.monitor);
	ASSERT_EQ(a.nrun, 1);		// run=hello
	EXPECT_STREQ(a.run[0].name, "hello");
	EXPECT_EQ(a.run[0].copies, 1U);
}

TEST(Cmdline, ProblemsAreReportedAndDefaultsKept)
{
	KernelArgs a;
	Messages m;
	EXPECT_EQ(parse("apic=banana bogus=1 monitor crashcpu=99999999999 smpboot=serial", &a, &m),
		  4);
	EXPECT_EQ(a.apic, ApicMode::Auto);
	EXPECT_TRUE(a.monitor);
	EXPECT_EQ(a.crashcpu, 0U);
	EXPECT_EQ(a.smpboot, SmpBoot::Serial);
	EXPECT_TRUE(m.mention("kernel argument 'apic=banana' is not valid: expected "
			      "apic=auto|xapic|x2apic; ignored (the default is auto)")) << m.all();
	EXPECT_TRUE(m.mention("unknown kernel argument 'bogus=1' ignored (known: lab, apic, ")) << m.all();
	EXPECT_TRUE(m.mention("kernel argument 'monitor' needs a value")) << m.all();
	EXPECT_TRUE(m.mention("'crashcpu=99999999999' is not valid")) << m.all();
}

TEST(Cmdline, ABadWordLeavesAnEarlierValue)
{
	// The message must not claim the default: an earlier word stands.
	KernelArgs a;
	Messages m;
	EXPECT_EQ(parse("monitor=off monitor apic=x2apic apic=x3apic", &a, &m), 2);
	EXPECT_FALSE(a.monitor);
	EXPECT_EQ(a.apic, ApicMode::X2apic);
	EXPECT_TRUE(m.mention("kernel argument 'monitor' needs a value: monitor=on|off; ignored "
			      "(the default is on)")) << m.all();
	EXPECT_TRUE(m.mention("kernel argument 'apic=x3apic' is not valid: expected "
			      "apic=auto|xapic|x2apic; ignored (the default is auto)")) << m.all();
}

TEST(Cmdline, RunGrammar)
{
	struct Good {
		const char *arg;
		std::vector<std::pair<std::string, uint32_t>> programs;
	};
	for (const Good &g : std::vector<Good>{
		     {"run=hello", {{"hello", 1}}},
		     {"run=a,b,c", {{"a", 1}, {"b", 1}, {"c", 1}}},
		     {"run=yield*9", {{"yield", 9}}},
		     {"run=x_y-1*2,z", {{"x_y-1", 2}, {"z", 1}}},
		     {"run=a*1024", {{"a", 1024}}}}) {
		KernelArgs a;
		Messages m;
		EXPECT_EQ(parse(g.arg, &a, &m), 0) << g.arg << ": " << m.all();
		std::vector<std::pair<std::string, uint32_t>> got;
		for (int i = 0; i < a.nrun; i++)
			got.emplace_back(a.run[i].name, a.run[i].copies);
		EXPECT_EQ(got, g.programs) << g.arg;
	}
	std::string many = "run=a", long_name = "run=" + std::string(sizeof(RunProgram::name), 'x');
	for (int i = 1; i < kMaxRunPrograms; i++)
		many += ",a";
	for (const std::string &bad : {std::string("run="), std::string("run=,"),
				       std::string("run=a,"), std::string("run=,a"),
				       std::string("run=a,,b"), std::string("run=a*0"),
				       std::string("run=a*"), std::string("run=a*x"),
				       std::string("run=a*2000"), std::string("run=a/b"),
				       many + ",a", long_name}) {
		KernelArgs a;
		Messages m;
		EXPECT_EQ(parse(bad.c_str(), &a, &m), 1) << bad;
		ASSERT_EQ(a.nrun, 1) << bad;		// the default, run=hello, kept
		EXPECT_STREQ(a.run[0].name, "hello") << bad;
	}
	KernelArgs a;
	Messages m;
	EXPECT_EQ(parse(many.c_str(), &a, &m), 0) << m.all();	// exactly kMaxRunPrograms
	EXPECT_EQ(a.nrun, kMaxRunPrograms);
}

TEST(Cmdline, MemmapReservesRanges)
{
	// Linux's SIZE$ADDR, and SIZE:ADDR, which make and a shell leave alone;
	// a comma list and several words add up.
	KernelArgs a;
	Messages m;
	EXPECT_EQ(parse("memmap=4M$0x400000 memmap=64K:1M,0x1000:12288 memmap=1g:4G", &a, &m), 0)
		<< m.all();
	ASSERT_EQ(a.nmemmap, 4);
	EXPECT_EQ(a.memmap[0].base, 0x400000UL);
	EXPECT_EQ(a.memmap[0].len, 4UL << 20);
	EXPECT_EQ(a.memmap[1].base, 1UL << 20);
	EXPECT_EQ(a.memmap[1].len, 64UL << 10);
	EXPECT_EQ(a.memmap[2].base, 12288UL);
	EXPECT_EQ(a.memmap[2].len, 0x1000UL);
	EXPECT_EQ(a.memmap[3].base, 4UL << 30);
	EXPECT_EQ(a.memmap[3].len, 1UL << 30);
}

TEST(Cmdline, MemmapProblemsAreNamed)
{
	struct Bad {
		const char *arg, *why;
	};
	for (const Bad &b : std::vector<Bad>{
		     {"memmap=4Mx400000", "no '$' or ':' after the size (a shell or make takes a "
					  "bare '$': write ':')"},
		     {"memmap=", "(no range given)"},
		     {"memmap=4M:0x400000,", "an empty range (a stray comma?)"},
		     {"memmap=64M@0x1000000", "only reserving a range is supported"},
		     {"memmap=exactmap", "only reserving a range is supported"},
		     {"memmap=4Q:0x400000", "the size is not a number"},
		     {"memmap=4M:0x40000g0", "the address is not a number"},
		     {"memmap=0:0x400000", "the size is 0"},
		     {"memmap=2:0xffffffffffffffff", "runs past the top of the address space"},
		     {"memmap=17179869184T:0", "the size is not a number"},	// 2^64
		     {"memmap=1:0,1:1,1:2,1:3,1:4,1:5,1:6,1:7,1:8", "more than 8 ranges"}}) {
		KernelArgs a;
		Messages m;
		EXPECT_EQ(parse(b.arg, &a, &m), 1) << b.arg;
		EXPECT_EQ(a.nmemmap, 0) << b.arg;
		ASSERT_EQ(m.lines.size(), 1U) << b.arg;
		EXPECT_TRUE(m.mention(b.why)) << b.arg << ": " << m.all();
		EXPECT_TRUE(m.mention(std::string("'") + b.arg + "'")) << m.all();
	}
	// A bad word leaves the ranges of a good one before it.
	KernelArgs a;
	Messages m;
	EXPECT_EQ(parse("memmap=1M:0x100000 memmap=1M:0x200000,bad", &a, &m), 1);
	ASSERT_EQ(a.nmemmap, 1);
	EXPECT_EQ(a.memmap[0].base, 0x100000UL);
	EXPECT_TRUE(m.mention("kernel argument 'memmap=1M:0x200000,bad' is not valid (no '$' "
			      "or ':' after the size")) << m.all();
	// The list of known arguments is whole.
	m.lines.clear();
	parse("bogus=1", &a, &m);
	EXPECT_TRUE(m.mention("run, fs, memmap)")) << m.all();
}

// ---------------------------------------------------------------------------
// ELF images of user programs

namespace {
std::vector<uint8_t>
user_program(const char *name)
{
	std::string path = source_dir() + "/obj/user/" + name;
	std::ifstream in(path, std::ios::binary);
	if (!in)
		ADD_FAILURE() << "cannot read " << path << " (run make first)";
	return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::string
check(const std::vector<uint8_t> &bin, ElfImage *img)
{
	char err[128] = "";
	bool ok = elf_check(bin.data(), bin.size(), UTEXT, USTACKTOP - PGSIZE, img, err, sizeof(err));
	return ok ? "" : err;
}

Elf64_Phdr *
phdr(std::vector<uint8_t> &bin, int i)
{
	Elf64_Ehdr eh;
	std::memcpy(&eh, bin.data(), sizeof(eh));
	return reinterpret_cast<Elf64_Phdr *>(bin.data() + eh.e_phoff) + i;
}
} // namespace

TEST(Elf, RealUserProgram)
{
	std::vector<uint8_t> bin = user_program("hello");
	ElfImage img;
	ASSERT_EQ(check(bin, &img), "");
	EXPECT_EQ(img.entry, 0x800020UL);	// user/user.ld
	ASSERT_EQ(img.nsegs, 2);		// text and data
	EXPECT_TRUE(img.segs[0].flags & PF_X);
	EXPECT_FALSE(img.segs[1].flags & PF_X);
}

TEST(Elf, BrokenImagesAreRefused)
{
	const std::vector<uint8_t> good = user_program("hello");
	ElfImage img;
	auto broken = [&](auto mutate) {
		std::vector<uint8_t> b = good;
		mutate(b);
		return check(b, &img);
	};
	EXPECT_NE(broken([](auto &b) { b[0] = 0; }).find("bad magic"), std::string::npos);
	EXPECT_NE(broken([](auto &b) { b[4] = 1; }).find("64-bit"), std::string::npos);
	EXPECT_NE(broken([](auto &b) { b[18] = 3; }).find("x86-64 executable"), std::string::npos);
	EXPECT_NE(broken([](auto &b) { b.resize(40); }).find("too short"), std::string::npos);
	EXPECT_NE(broken([](auto &b) {
			  uint64_t off = b.size() + 1;
			  std::memcpy(b.data() + 32, &off, 8);	// e_phoff
		  }).find("program headers run past"), std::string::npos);
	EXPECT_NE(broken([](auto &b) { phdr(b, 0)->p_filesz = phdr(b, 0)->p_memsz + 1; })
			  .find("more file bytes"), std::string::npos);
	EXPECT_NE(broken([](auto &b) { phdr(b, 1)->p_offset = b.size(); })
			  .find("past the end of the file"), std::string::npos);
	EXPECT_NE(broken([](auto &b) { phdr(b, 0)->p_vaddr = KERNBASE + 0x100000; })
			  .find("outside user memory"), std::string::npos);
	EXPECT_NE(broken([](auto &b) { phdr(b, 1)->p_vaddr = phdr(b, 0)->p_vaddr; })
			  .find("overlaps"), std::string::npos);
	EXPECT_NE(broken([](auto &b) { phdr(b, 1)->p_vaddr = ~0UL - 8; })
			  .find("outside user memory"), std::string::npos);
	EXPECT_NE(broken([](auto &b) {
			  uint64_t data_va = phdr(b, 1)->p_vaddr;
			  std::memcpy(b.data() + 24, &data_va, 8);	// e_entry
		  }).find("not in an executable segment"), std::string::npos);
	EXPECT_NE(broken([](auto &b) {
			  phdr(b, 0)->p_type = 0;
			  phdr(b, 1)->p_type = 0;
		  }).find("no loadable segment"), std::string::npos);
}

// ---------------------------------------------------------------------------
// printfmt, through the kernel's snprintf (formats the kernel uses)

namespace {
std::string
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

std::string
fmt(const char *f, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, f);
	::vsnprintf(buf, static_cast<int>(sizeof(buf)), f, ap);	// ours: int size
	va_end(ap);
	return buf;
}

// No format attribute: %e is JOS's and unknown to -Wformat, and a null %s
// (which printfmt prints as "(null)") is a warning there.
std::string
fmt_unchecked(const char *f, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, f);
	::vsnprintf(buf, static_cast<int>(sizeof(buf)), f, ap);
	va_end(ap);
	return buf;
}
} // namespace

TEST(Printfmt, KernelFormats)
{
	EXPECT_EQ(fmt("%d %d %u", -5, 0, 4000000000U), "-5 0 4000000000");
	EXPECT_EQ(fmt("%5d|%-5d|%05d|%05d", 42, 42, 42, -42), "   42|42   |00042|-0042");
	EXPECT_EQ(fmt("%x %X %o", 255, 255, 8), "ff FF 10");
	EXPECT_EQ(fmt("%08x", 0x1000), "00001000");
	EXPECT_EQ(fmt("%016lx", 0xdeadUL), "000000000000dead");
	EXPECT_EQ(fmt("%#lx %#x %#o", 0x1000UL, 0, 8), "0x1000 0 010");
	EXPECT_EQ(fmt("%lu %ld", ~0UL, -9223372036854775807L - 1),
		  "18446744073709551615 -9223372036854775808");
	EXPECT_EQ(fmt("%zu %lld", static_cast<size_t>(7), -1LL), "7 -1");
	EXPECT_EQ(fmt("%p", reinterpret_cast<void *>(0x1234)), "0x0000000000001234");
	EXPECT_EQ(fmt("%s|%-6s|%6s", "ab", "ab", "ab"), "ab|ab    |    ab");
	EXPECT_EQ(fmt("%.*s|%.2s", 3, "abcdef", "xyz"), "abc|xy");
	EXPECT_EQ(fmt_unchecked("%s", static_cast<const char *>(nullptr)), "(null)");
	EXPECT_EQ(fmt("%c%c %%", 'o', 'k'), "ok %");
	EXPECT_EQ(fmt("cpu %d: %s+%lu", 3, "trap", 17UL), "cpu 3: trap+17");
	EXPECT_EQ(fmt_unchecked("%e / %e", -E_NO_MEM, 99), "out of memory / unknown error");
	EXPECT_STREQ(error_string(-E_BAD_ENV), "bad environment");
}

// Widths, flags and alternate forms, compared with the C library's own
// printf (the reference): the padding goes before the prefix, zeros after.
TEST(Printfmt, AlternateFormsPadAsTheCLibraryDoes)
{
	const char *formats[] = {"%#6o|", "%#06o|", "%-#6o|", "%#6x|", "%#06x|", "%-#8X|",
				 "%6o|", "%-6o|", "%06o|", "%#o|", "%#x|", "%o|"};
	for (const char *f : formats) {
		for (unsigned v : {0U, 8U, 255U, 070707U}) {
			char want[64];
			std::snprintf(want, sizeof(want), f, v);
			EXPECT_EQ(fmt_unchecked(f, v), std::string(want)) << "format " << f << " of " << v;
		}
	}
}

TEST(Printfmt, Truncation)
{
	char buf[5];
	EXPECT_EQ(::snprintf(buf, static_cast<int>(sizeof(buf)), "%s", "abcdefgh"), 8);
	EXPECT_STREQ(buf, "abcd");
}
