// The I/O APIC (Intel 82093AA datasheet; ACPI 6.5, 5.2.12.5 and 5.2.12.6).
//
// Registers are reached through two MMIO words: write a register number to
// IOREGSEL, then read or write IOWIN. Entry n of the redirection table is
// the 64-bit register pair 0x10 + 2n (low) and 0x11 + 2n (high): vector,
// delivery mode, polarity, trigger mode and mask in the low word, the
// destination APIC ID in bits 56-63.
//
// The destination field is 8 bits whatever mode the local APICs are in.
// In x2APIC mode an I/O APIC can still reach APIC IDs below 255 that way;
// larger IDs need interrupt remapping (an IOMMU), which this kernel does
// not use. So device interrupts go to the boot CPU, whose ID is small on
// every machine QEMU makes.

#include <inc/assert.h>
#include <inc/memlayout.h>
#include <kern/ioapic.h>
#include <kern/pmap.h>
#include <kern/printf.h>
#include <kern/smpboot.h>

namespace {

constexpr uint32_t IOREGSEL = 0x00, IOWIN = 0x10;
constexpr uint32_t REG_VER = 0x01, REG_REDTBL = 0x10;

constexpr uint32_t RTE_MASKED = 1U << 16;
constexpr uint32_t RTE_LEVEL = 1U << 15;	// level triggered (else edge)
constexpr uint32_t RTE_ACTIVE_LOW = 1U << 13;	// (else active high)

// MADT interrupt source override flags (MPS INTI flags).
constexpr uint16_t POLARITY_MASK = 0x3, POLARITY_LOW = 0x3;
constexpr uint16_t TRIGGER_MASK = 0xC, TRIGGER_LEVEL = 0xC;

struct IoApic {
	volatile uint32_t *mmio;
	uint32_t id;
	uint32_t gsi_base;
	uint32_t nentries;
};

IoApic ioapics[kMaxIoApics];
int nioapic;

// The only place the I/O APICs' MMIO is touched.
uint32_t
ioapic_read(const IoApic &io, uint32_t reg)
{
	io.mmio[IOREGSEL / 4] = reg;
	return io.mmio[IOWIN / 4];
}

void
ioapic_write(const IoApic &io, uint32_t reg, uint32_t value)
{
	io.mmio[IOREGSEL / 4] = reg;
	io.mmio[IOWIN / 4] = value;
}

// The I/O APIC whose inputs include gsi, or nullptr.
IoApic *
ioapic_for(uint32_t gsi)
{
	for (int i = 0; i < nioapic; i++)
		if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].nentries)
			return &ioapics[i];
	return nullptr;
}

} // namespace

void
ioapic_init()
{
	nioapic = 0;
	for (int i = 0; i < smp_config.nioapic && i < kMaxIoApics; i++) {
		const IoApicInfo &info = smp_config.ioapics[i];
		IoApic &io = ioapics[nioapic];
		io.mmio = static_cast<volatile uint32_t *>(mmio_map_region(info.pa, PGSIZE));
		io.id = info.id;
		io.gsi_base = info.gsi_base;
		uint32_t ver = ioapic_read(io, REG_VER);
		if (ver == 0xFFFFFFFF) {
			cprintf("ioapic: no I/O APIC answers at %#lx (the firmware lists one there); "
				"ignored\n", info.pa);
			continue;
		}
		io.nentries = ((ver >> 16) & 0xFF) + 1;
		// Nothing is delivered until someone routes it.
		for (uint32_t n = 0; n < io.nentries; n++) {
			ioapic_write(io, REG_REDTBL + 2 * n, RTE_MASKED);
			ioapic_write(io, REG_REDTBL + 2 * n + 1, 0);
		}
		cprintf("ioapic: I/O APIC %u at %#lx, GSIs %u-%u\n", io.id, info.pa, io.gsi_base,
			io.gsi_base + io.nentries - 1);
		nioapic++;
	}
	if (nioapic == 0)
		cprintf("ioapic: the firmware lists no I/O APIC: devices cannot interrupt, and "
			"console input is polled\n");
}

bool
ioapic_route_isa(int irq, int vector, uint32_t apic_id)
{
	// ISA interrupts are edge triggered and active high, and IRQ n is GSI
	// n, unless an override says otherwise (on PCs, IRQ 0 is GSI 2).
	uint32_t gsi = static_cast<uint32_t>(irq);
	uint16_t flags = 0;
	for (int i = 0; i < smp_config.noverride; i++)
		if (smp_config.overrides[i].source == irq) {
			gsi = smp_config.overrides[i].gsi;
			flags = smp_config.overrides[i].flags;
		}
	IoApic *io = ioapic_for(gsi);
	if (io == nullptr) {
		cprintf("ioapic: no I/O APIC takes GSI %u (ISA IRQ %d): that device cannot "
			"interrupt\n", gsi, irq);
		return false;
	}
	if (apic_id > 0xFE) {
		cprintf("ioapic: APIC ID %u does not fit an I/O APIC entry's 8-bit destination "
			"(that needs interrupt remapping): ISA IRQ %d stays masked\n", apic_id, irq);
		return false;
	}
	uint32_t low = static_cast<uint32_t>(vector);	// fixed delivery, physical destination
	if ((flags & POLARITY_MASK) == POLARITY_LOW)
		low |= RTE_ACTIVE_LOW;
	if ((flags & TRIGGER_MASK) == TRIGGER_LEVEL)
		low |= RTE_LEVEL;
	uint32_t n = gsi - io->gsi_base;
	// The destination first, while the entry is still masked.
	ioapic_write(*io, REG_REDTBL + 2 * n + 1, apic_id << 24);
	ioapic_write(*io, REG_REDTBL + 2 * n, low);
	return true;
}

bool
ioapic_route_pci(uint32_t gsi, int vector, uint32_t apic_id)
{
	IoApic *io = ioapic_for(gsi);
	if (io == nullptr) {
		cprintf("ioapic: no I/O APIC takes GSI %u: that PCI device cannot interrupt\n", gsi);
		return false;
	}
	if (apic_id > 0xFE) {
		cprintf("ioapic: APIC ID %u does not fit an I/O APIC entry's 8-bit destination: "
			"GSI %u stays masked\n", apic_id, gsi);
		return false;
	}
	uint32_t n = gsi - io->gsi_base;
	ioapic_write(*io, REG_REDTBL + 2 * n + 1, apic_id << 24);
	ioapic_write(*io, REG_REDTBL + 2 * n,
		     static_cast<uint32_t>(vector) | RTE_LEVEL | RTE_ACTIVE_LOW);
	return true;
}

void
ioapic_retarget(uint32_t gsi, uint32_t apic_id)
{
	IoApic *io = ioapic_for(gsi);
	if (io == nullptr || apic_id > 0xFE)
		return;
	// The destination is the high word: the entry stays unmasked, and an
	// interrupt in flight goes to the old CPU or the new one, either of
	// which handles it.
	uint32_t n = gsi - io->gsi_base;
	ioapic_write(*io, REG_REDTBL + 2 * n + 1, apic_id << 24);
}
