// Enabling a local APIC through IA32_APIC_BASE. Pure (no MSR access), so
// that host tests can check the sequence.
#pragma once

#include <inc/mmu.h>
#include <inc/types.h>
#ifndef HOST_BUILD
#include <inc/assert.h>	// the exercise stub panics
#endif

// The values to write to IA32_APIC_BASE, in order, to take an APIC whose
// register now holds base to enabled, in x2APIC mode if x2apic. Returns how
// many (0 to 2) it stored in writes.
//
// The SDM allows xAPIC -> x2APIC (EXTD set while EN is) but no step from
// disabled straight to x2APIC: KVM refuses EN|EXTD written to a disabled
// APIC with #GP. So a disabled APIC is enabled first, then switched.
inline int
apic_base_writes(uint64_t base, bool x2apic, uint64_t writes[2])
{
	int n = 0;
	if (!(base & APIC_BASE_EN)) {
		base |= APIC_BASE_EN;
		writes[n++] = base;
	}
	if (x2apic) {
		// LAB 4 EXERCISE x2apic BEGIN
		// Every AP wakes in xAPIC mode, whatever the boot CPU chose: it
		// must switch its own APIC to x2APIC mode by setting EXTD
		// (APIC_BASE_EXTD) in IA32_APIC_BASE, now that EN is set. Add
		// that write (if EXTD is not set already).
		//> panic("lapic_init: switching to x2APIC mode is not implemented (LAB 4 exercise)");
		if (!(base & APIC_BASE_EXTD))
			writes[n++] = base | APIC_BASE_EXTD;
		// LAB 4 EXERCISE x2apic END
	}
	return n;
}
