// The local APIC, in xAPIC (MMIO) or x2APIC (MSR) mode. Everything that
// touches the APIC goes through this interface; which backend answers is
// decided once, by the boot CPU.
#pragma once

#include <inc/types.h>

enum class LapicMode { Xapic, X2apic };

// Register offsets in the xAPIC MMIO page; the x2APIC MSR of a register is
// 0x800 + offset / 16.
enum LapicReg : uint32_t {
	LAPIC_ID = 0x020,
	LAPIC_VER = 0x030,
	LAPIC_TPR = 0x080,
	LAPIC_EOI = 0x0B0,
	LAPIC_SVR = 0x0F0,
	LAPIC_ESR = 0x280,
	LAPIC_ICRLO = 0x300,
	LAPIC_ICRHI = 0x310,	// xAPIC only: x2APIC's ICR is one 64-bit MSR
	LAPIC_TIMER = 0x320,
	LAPIC_PCINT = 0x340,
	LAPIC_LINT0 = 0x350,
	LAPIC_LINT1 = 0x360,
	LAPIC_ERROR = 0x370,
	LAPIC_TICR = 0x380,	// timer initial count
	LAPIC_TCCR = 0x390,	// timer current count
	LAPIC_TDCR = 0x3E0,	// timer divide configuration
};

extern LapicMode lapic_mode;

// Boot CPU, once: chooses the mode from CPUID, the firmware's state and
// the apic= argument, maps the xAPIC page if needed, and prints
// "lapic: <mode> mode (<reason>)". max_apic_id is the largest APIC ID any
// CPU has (IDs above 254 need x2APIC).
void lapic_setup(uint64_t lapic_pa, uint32_t max_apic_id);
// Every CPU, itself: switches its own APIC into lapic_mode (APs wake up in
// xAPIC mode) and programs it: enabled, LVTs masked, error vector set.
void lapic_init();
bool lapic_ready();

uint32_t lapic_read(LapicReg reg);
void lapic_write(LapicReg reg, uint32_t value);
// This CPU's APIC ID: 8 bits in xAPIC mode, 32 in x2APIC mode.
uint32_t lapic_id();
void lapic_eoi();
// Whether an IPI can reach this APIC ID in the current mode.
bool lapic_can_address(uint32_t apic_id);

// Sends an IPI (ICR low word: vector, delivery mode, level, trigger) to
// one APIC ID. Returns false if an xAPIC reports the IPI undelivered.
bool lapic_send_ipi(uint32_t apic_id, uint32_t icr_low);
void lapic_send_init(uint32_t apic_id);
void lapic_send_nmi(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint64_t addr);
// The waits of an INIT-SIPI-SIPI round: after the INIT, and between the
// two STARTUPs. The MP specification's universal algorithm waits 10 ms and
// 200 us, for CPUs of its time; later CPUs are ready within microseconds
// (smpboot.cc chooses, as Linux does).
struct StartupWaits {
	uint32_t init_us, sipi_us;
};
constexpr StartupWaits kMpSpecWaits{10000, 200};
constexpr StartupWaits kShortWaits{10, 10};
// The waits lapic_startaps uses (kMpSpecWaits until smpboot.cc says).
extern StartupWaits lapic_startup_waits;
// crash=apmiss: the next round sends no STARTUP to this APIC ID (once), as
// if the AP had missed them; ~0: none.
extern uint32_t lapic_miss_startups_of;
// Starts n APs at addr: INIT to each, lapic_startup_waits.init_us, STARTUP
// to each, .sipi_us, STARTUP to each. IDs lapic_can_address refuses are
// skipped.
void lapic_startaps(const uint32_t *apic_ids, int n, uint64_t addr);
// JOS's lapic_startap: the same for one AP.
void lapic_startap(uint32_t apic_id, uint64_t addr);
// Puts back the CMOS shutdown code and the warm-reset vector that
// lapic_startaps changed: a later warm reset on a legacy BIOS would jump to
// the trampoline otherwise. After bring-up, once.
void lapic_restore_warm_reset();

// One-shot LAPIC timer interrupt (vector IRQ_OFFSET + IRQ_TIMER) after us
// microseconds; needs clock_init's calibration.
void lapic_timer_oneshot(uint64_t us);

// Before lapic_setup, on the boot CPU: its APIC ID as its own local APIC
// holds it, which is what IPIs are addressed to. All 32 bits (*full) when
// the firmware left the APIC in x2APIC mode; else the xAPIC ID register's 8
// bits (the low byte of an x2APIC ID). CPUID can disagree (QEMU 10's leaf 1
// does, for the boot CPU of 257 CPUs).
uint32_t lapic_own_id(uint64_t lapic_pa, bool *full);
// Switches this CPU's APIC to x2APIC mode now, so that MSR 0x802 gives its
// 32-bit ID (lapic_setup then chooses the mode as it would have). False if
// the CPU does not offer x2APIC.
bool lapic_x2apic_now();
// The APIC ID the CPU reports through CPUID (works before its APIC is set
// up): leaf 0xB's 32-bit x2APIC ID where available, else leaf 1's 8 bits.
uint32_t cpuid_apic_id();
