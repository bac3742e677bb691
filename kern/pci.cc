// PCI enumeration and driver attach (JOS's kern/pci.c, for PCI Express).
//
// Configuration space is reached two ways. PCI Express machines (QEMU's
// q35) map it into memory (ECAM: 4 KiB per function, at base + bus << 20 |
// dev << 15 | func << 12), and the ACPI MCFG table says where; the legacy
// way, configuration mechanism #1, writes an address to port 0xCF8 and
// moves the data through 0xCFC, and reaches the first 256 bytes of every
// function on any PC. The kernel uses ECAM where MCFG lists it, else the
// ports.
//
// Drivers claim functions by vendor and device (kPciAttachVendor), and
// bridges by class, as in JOS.

#include <inc/assert.h>
#include <inc/error.h>
#include <inc/string.h>
#include <inc/x86.h>
#include <kern/bootinfo.h>
#include <kern/e1000.h>
#include <kern/pci.h>
#include <kern/pmap.h>
#include <kern/printf.h>
#include <kern/smpboot.h>
#include <kern/smpconfig.h>

namespace {

constexpr uint16_t kConfAddr = 0xCF8, kConfData = 0xCFC;

// Configuration registers (PCI Local Bus 3.0, 6.1).
constexpr uint32_t PCI_ID = 0x00, PCI_COMMAND = 0x04, PCI_CLASS = 0x08,
		   PCI_HEADER = 0x0C, PCI_BAR0 = 0x10, PCI_BRIDGE_BUSES = 0x18,
		   PCI_INTERRUPT = 0x3C;
constexpr uint32_t CMD_IO = 1 << 0, CMD_MEM = 1 << 1, CMD_MASTER = 1 << 2;
constexpr uint32_t BAR_IO = 1 << 0, BAR_MEM_TYPE_MASK = 0x6, BAR_MEM_64 = 0x4;
constexpr uint8_t CLASS_BRIDGE = 0x06, SUBCLASS_PCI_BRIDGE = 0x04;

constexpr int kMaxBuses = 16;		// buses scanned behind bridges (q35: one)
constexpr int kMaxDepth = 4;

// ECAM: the MCFG's base for segment 0 and its bus range; each bus's 1 MiB
// is mapped the first time it is used.
uint64_t ecam_pa;
uint8_t ecam_first_bus, ecam_last_bus;
volatile uint8_t *ecam_bus[256];

// Whether the machine is QEMU's q35 (its host bridge is Intel's Q35 MCH):
// then the INTx# routing is the one its ACPI _PRT gives.
bool q35;

const void *
table_map(void *, uint64_t pa, uint64_t len)
{
	if (len == 0 || pa + len < pa)
		return nullptr;
	bool covered = pa + len <= EXTPHYSMEM;
	for (int i = 0; i < boot_info.nmmap && !covered; i++) {
		const MemRegion &r = boot_info.mmap[i];
		covered = pa >= r.base && pa + len <= r.base + r.len;
	}
	return covered ? phys_map(pa, len) : nullptr;
}

void
say_warning(void *, const char *msg)
{
	cprintf("pci: %s\n", msg);
}

template <typename T>
T
get(const uint8_t *p)
{
	T v;
	memcpy(&v, p, sizeof(v));
	return v;
}

// Reads the MCFG table (PCI Firmware 3.2, 4.1.2): a 36-byte header, 8
// reserved bytes, then 16-byte entries (base, segment, first and last bus).
void
find_ecam()
{
	if (smp_config.table_name[0] != 'X' && smp_config.table_name[0] != 'R')
		return;		// the CPUs came from MP tables: no ACPI root table
	PhysMem mem{table_map, nullptr};
	Diag diag{say_warning, nullptr};
	const uint8_t *t = acpi_find_table(smp_config.table_pa, smp_config.table_name[0] == 'X',
					   "MCFG", mem, diag);
	if (t == nullptr)
		return;
	uint32_t len = get<uint32_t>(t + 4);
	for (uint32_t off = 44; off + 16 <= len; off += 16) {
		uint64_t base = get<uint64_t>(t + off);
		uint16_t segment = get<uint16_t>(t + off + 8);
		if (segment != 0 || base == 0)
			continue;
		ecam_pa = base;
		ecam_first_bus = t[off + 10];
		ecam_last_bus = t[off + 11];
		return;
	}
}

volatile uint8_t *
ecam_address(const PciFunc &f, uint32_t off)
{
	if (ecam_pa == 0 || f.bus < ecam_first_bus || f.bus > ecam_last_bus)
		return nullptr;
	if (ecam_bus[f.bus] == nullptr)
		ecam_bus[f.bus] = static_cast<volatile uint8_t *>(
			mmio_map_region(ecam_pa + (static_cast<uint64_t>(f.bus) << 20), 1 << 20));
	return ecam_bus[f.bus] + (f.dev << 15 | f.func << 12 | (off & 0xFFC));
}

uint32_t
port_address(const PciFunc &f, uint32_t off)
{
	return 1U << 31 | f.bus << 16 | f.dev << 11 | f.func << 8 | (off & 0xFC);
}

const char *
class_name(uint8_t c)
{
	static const char *const names[] = {
		"Unknown", "Storage controller", "Network controller", "Display controller",
		"Multimedia device", "Memory controller", "Bridge device",
	};
	return c < ARRAY_SIZE(names) ? names[c] : "Unknown";
}

// The I/O APIC input (GSI) that f's INTx# line reaches, or -1. On q35, as
// the DSDT's _PRT says (the kernel reads no AML): a device on the root bus
// in slot s, pin p (INTA# = 0), drives PIRQ E-H, that is GSI 20 + (s + p)
// mod 4. Elsewhere the kernel does not know the routing.
int
intx_gsi(const PciFunc &f)
{
	if (f.irq_pin == 0 || f.irq_pin > 4 || !q35 || f.bus != 0 || f.dev >= 0x19)
		return -1;
	return 20 + (f.dev + f.irq_pin - 1) % 4;
}

// A memory BAR the firmware left unassigned (qboot assigns none) gets an
// address below the I/O APIC's page, growing down, as SeaBIOS places
// them; naturally aligned. Only 32-bit BARs are placed.
uint64_t
place_bar(uint64_t size)
{
	static uint64_t next = 0xFEC00000;
	uint64_t base = ROUNDDOWN(next - size, size);
	next = base;
	return base;
}

void pci_scan_bus(uint8_t bus, int depth);

int
attach_bridge(PciFunc *f, int depth)
{
	uint32_t buses = pci_conf_read(*f, PCI_BRIDGE_BUSES);
	uint8_t secondary = (buses >> 8) & 0xFF;
	if (secondary == 0 || secondary <= f->bus || secondary >= kMaxBuses) {
		cprintf("PCI: %02x:%02x.%d: bridge to bus %u not scanned\n", f->bus, f->dev,
			f->func, secondary);
		return 0;
	}
	pci_scan_bus(secondary, depth + 1);
	return 1;
}

// Drivers, by vendor and device (JOS's pci_attach_vendor).
struct PciDriver {
	uint16_t vendor, device;
	int (*attach)(PciFunc *f);
};

constexpr PciDriver kPciAttachVendor[] = {
	{kE1000Vendor, kE1000Device, e1000_attach},
};

void
attach(PciFunc *f, int depth)
{
	if (f->class_code == CLASS_BRIDGE && f->subclass == SUBCLASS_PCI_BRIDGE) {
		if (depth < kMaxDepth)
			attach_bridge(f, depth);
		return;
	}
	for (const PciDriver &d : kPciAttachVendor)
		if (d.vendor == f->vendor && d.device == f->device) {
			int r = d.attach(f);
			if (r < 0)
				cprintf("PCI: %02x:%02x.%d: attach of %04x:%04x failed: %s\n", f->bus,
					f->dev, f->func, f->vendor, f->device, error_string(r));
			return;
		}
}

void
pci_scan_bus(uint8_t bus, int depth)
{
	for (uint8_t dev = 0; dev < 32; dev++) {
		int nfunc = 1;
		for (uint8_t func = 0; func < nfunc; func++) {
			PciFunc f{};
			f.bus = bus, f.dev = dev, f.func = func;
			uint32_t id = pci_conf_read(f, PCI_ID);
			if ((id & 0xFFFF) == 0xFFFF)
				continue;
			if (func == 0 && (pci_conf_read(f, PCI_HEADER) >> 16 & 0x80))
				nfunc = 8;	// a multi-function device
			uint32_t cls = pci_conf_read(f, PCI_CLASS);
			f.vendor = id & 0xFFFF;
			f.device = id >> 16;
			f.class_code = cls >> 24;
			f.subclass = (cls >> 16) & 0xFF;
			f.irq_pin = (pci_conf_read(f, PCI_INTERRUPT) >> 8) & 0xFF;
			if (bus == 0 && dev == 0 && func == 0)
				q35 = f.vendor == 0x8086 && f.device == 0x29C0;
			f.gsi = intx_gsi(f);
			cprintf("PCI: %02x:%02x.%d: %04x:%04x: class: %x.%x (%s)", bus, dev, func,
				f.vendor, f.device, f.class_code, f.subclass, class_name(f.class_code));
			if (f.irq_pin != 0 && f.gsi >= 0)
				cprintf(" INT%c# gsi %d", 'A' + f.irq_pin - 1, f.gsi);
			cprintf("\n");
			attach(&f, depth);
		}
	}
}

} // namespace

uint32_t
pci_conf_read(const PciFunc &f, uint32_t off)
{
	if (volatile uint8_t *p = ecam_address(f, off))
		return *reinterpret_cast<volatile uint32_t *>(p);
	outl(kConfAddr, port_address(f, off));
	return inl(kConfData);
}

void
pci_conf_write(const PciFunc &f, uint32_t off, uint32_t value)
{
	if (volatile uint8_t *p = ecam_address(f, off)) {
		*reinterpret_cast<volatile uint32_t *>(p) = value;
		return;
	}
	outl(kConfAddr, port_address(f, off));
	outl(kConfData, value);
}

void
pci_func_enable(PciFunc *f)
{
	// Decoding off while the BARs are sized: a BAR holding all ones for a
	// moment must not claim addresses.
	uint32_t cmd = pci_conf_read(*f, PCI_COMMAND);
	pci_conf_write(*f, PCI_COMMAND, cmd & ~(CMD_IO | CMD_MEM));
	for (int i = 0; i < 6; i++) {
		uint32_t off = PCI_BAR0 + 4 * i;
		uint32_t old = pci_conf_read(*f, off);
		pci_conf_write(*f, off, 0xFFFFFFFF);
		uint32_t mask = pci_conf_read(*f, off);
		pci_conf_write(*f, off, old);
		if (mask == 0)
			continue;
		f->reg_io[i] = old & BAR_IO;
		if (f->reg_io[i]) {
			f->reg_base[i] = old & ~3U;
			f->reg_size[i] = (~(mask & ~3U) + 1) & 0xFFFF;
			continue;
		}
		uint64_t base = old & ~0xFU;
		uint64_t size_mask = mask & ~0xFU;
		bool is64 = (old & BAR_MEM_TYPE_MASK) == BAR_MEM_64 && i < 5;
		if (is64) {
			uint32_t old_hi = pci_conf_read(*f, off + 4);
			pci_conf_write(*f, off + 4, 0xFFFFFFFF);
			uint32_t mask_hi = pci_conf_read(*f, off + 4);
			pci_conf_write(*f, off + 4, old_hi);
			base |= static_cast<uint64_t>(old_hi) << 32;
			size_mask |= static_cast<uint64_t>(mask_hi) << 32;
		} else {
			size_mask |= 0xFFFFFFFF00000000UL;
		}
		uint64_t size = ~size_mask + 1;
		if (base == 0 && size <= 0x10000000) {
			base = place_bar(size);
			pci_conf_write(*f, off, static_cast<uint32_t>(base));
			if (is64)
				pci_conf_write(*f, off + 4, 0);
		}
		f->reg_base[i] = base;
		f->reg_size[i] = size;
		if (is64)
			i++;
	}
	pci_conf_write(*f, PCI_COMMAND, cmd | CMD_IO | CMD_MEM | CMD_MASTER);
	cprintf("PCI function %02x:%02x.%d (%04x:%04x) enabled\n", f->bus, f->dev, f->func,
		f->vendor, f->device);
}

void
pci_init()
{
	find_ecam();
	if (ecam_pa != 0)
		cprintf("PCI: configuration space through ECAM at %#lx (MCFG, buses %u-%u)\n",
			ecam_pa, ecam_first_bus, ecam_last_bus);
	else
		cprintf("PCI: configuration space through ports 0xCF8/0xCFC (no ACPI MCFG "
			"table)\n");
	pci_scan_bus(0, 0);
}
