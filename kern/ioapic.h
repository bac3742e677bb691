// The I/O APIC: where device interrupts enter an SMP machine. Each of its
// redirection entries takes one interrupt input (a global system interrupt,
// GSI) to a vector on one CPU's local APIC. The 8259 PICs stay masked.
#pragma once

#include <inc/types.h>

// Boot CPU, once, after lapic_setup: maps every I/O APIC the firmware
// listed (smp_config), masks all their entries, and prints one line each.
void ioapic_init();
// Sends ISA IRQ irq to vector on the CPU with this APIC ID, through the
// GSI and with the polarity and trigger mode the ACPI MADT's interrupt
// source overrides give (ISA's own, edge and active high, where none does).
// Returns false, after a line saying why, if it cannot: no I/O APIC has
// that GSI, or the APIC ID does not fit the entry's 8-bit destination
// (APIC IDs above 254 need interrupt remapping).
bool ioapic_route_isa(int irq, int vector, uint32_t apic_id);
// Sends a PCI interrupt (level triggered, active low, as PCI INTx# lines
// are) on global system interrupt gsi to vector on the CPU with this APIC
// ID; false, after a line saying why, as for ioapic_route_isa.
bool ioapic_route_pci(uint32_t gsi, int vector, uint32_t apic_id);
// Moves an input routed already to the CPU with this APIC ID (below 255).
void ioapic_retarget(uint32_t gsi, uint32_t apic_id);
