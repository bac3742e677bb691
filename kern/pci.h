// PCI: finding the functions on the bus and attaching their drivers (JOS's
// kern/pci.c, with PCI Express's memory-mapped configuration space).
#pragma once

#include <inc/types.h>

// One function of one PCI device, as enumeration found it; a driver's
// attach function gets it, and pci_func_enable fills in its BARs.
struct PciFunc {
	uint8_t bus, dev, func;
	uint16_t vendor, device;
	uint8_t class_code, subclass;
	uint8_t irq_pin;		// 1..4: INTA#..INTD#; 0: none
	int gsi;			// the I/O APIC input its INTx# reaches, or -1
	// BARs after pci_func_enable: base (physical or I/O port) and size; a
	// 64-bit BAR fills its slot, and the next slot is left 0.
	uint64_t reg_base[6];
	uint64_t reg_size[6];
	bool reg_io[6];
};

// Boot CPU, once, lab 6: reads the MCFG table (ECAM) or falls back to
// configuration mechanism #1 (ports 0xCF8/0xCFC), prints a line per
// function found, and calls the drivers that claim them.
void pci_init();

// Turns on the function's memory and I/O decoding and bus mastering,
// sizes its BARs (assigning an address to a memory BAR the firmware left
// at 0) and prints JOS's line "PCI function BB:DD.F (VVVV:DDDD) enabled".
void pci_func_enable(PciFunc *f);

uint32_t pci_conf_read(const PciFunc &f, uint32_t off);
void pci_conf_write(const PciFunc &f, uint32_t off, uint32_t value);
