// The local APIC register layer and inter-processor interrupts.
//
// xAPIC: registers are 32-bit words in a 4 KiB MMIO page (mapped uncached);
// the ICR is two words, high (destination) first, and the delivery-status
// bit says when the IPI left. x2APIC: registers are MSRs 0x800 + offset/16;
// the ICR is one 64-bit MSR with a 32-bit destination, and there is no
// delivery status. In x2APIC mode the MMIO page reads 0xFFFFFFFF and drops
// writes, silently: a kernel that switches to x2APIC but still writes the
// MMIO ICR starts no AP at all. Hence one layer, used by everything.

#include <inc/assert.h>
#include <inc/memlayout.h>
#include <inc/trap.h>
#include <inc/x86.h>
#include <kern/clock.h>
#include <kern/cmdline.h>
#include <kern/apicbase.h>
#include <kern/cpu.h>
#include <kern/lapic.h>
#include <kern/pmap.h>

LapicMode lapic_mode = LapicMode::Xapic;

namespace {

constexpr uint32_t CPUID1_ECX_X2APIC = 1U << 21;
constexpr uint32_t MSR_X2APIC_BASE = 0x800;
constexpr uint32_t MSR_X2APIC_ICR = 0x830;

constexpr uint32_t SVR_ENABLE = 0x100;
constexpr uint32_t LVT_MASKED = 0x10000;
constexpr uint32_t LVT_NMI = 0x400;		// delivery mode NMI
constexpr uint32_t ICR_INIT = 0x500;
constexpr uint32_t ICR_STARTUP = 0x600;
constexpr uint32_t ICR_DELIVS = 0x1000;		// xAPIC: delivery status (busy)
constexpr uint32_t ICR_ASSERT = 0x4000;
constexpr uint32_t ICR_LEVEL = 0x8000;
constexpr uint32_t TDCR_DIV16 = 0x3;

volatile uint32_t *lapic_mmio;		// xAPIC mode only
// lapic_x2apic_now switched the boot CPU to x2APIC mode before lapic_setup
// chose a mode: the firmware did not.
bool x2apic_switched_early;

// Maps the xAPIC page (once).
void
map_xapic_page(uint64_t lapic_pa)
{
	if (lapic_mmio == nullptr)
		lapic_mmio = static_cast<volatile uint32_t *>(mmio_map_region(lapic_pa, PGSIZE));
}

// MMIO accessors: the only place the xAPIC page is dereferenced.
uint32_t
mmio_read(uint32_t off)
{
	return lapic_mmio[off / 4];
}

void
mmio_write(uint32_t off, uint32_t v)
{
	lapic_mmio[off / 4] = v;
	(void)lapic_mmio[LAPIC_ID / 4];	// wait for the write to finish
}

// xAPIC: waits (bounded) for the previous IPI to leave.
bool
xapic_wait_idle()
{
	uint64_t deadline = clock_deadline_us(10000);
	while (mmio_read(LAPIC_ICRLO) & ICR_DELIVS)
		if (clock_passed(deadline))
			return false;
		else
			cpu_relax();
	return true;
}

} // namespace

uint32_t
lapic_read(LapicReg reg)
{
	// LAB 4 EXERCISE x2apic BEGIN
	// In x2APIC mode each register is the MSR 0x800 + offset / 16
	// (MSR_X2APIC_BASE + reg / 16); rdmsr reads it.
	//> if (lapic_mode == LapicMode::X2apic)
	//> 	panic("lapic_read: x2APIC registers are not implemented (LAB 4 exercise)");
	if (lapic_mode == LapicMode::X2apic)
		return static_cast<uint32_t>(rdmsr(MSR_X2APIC_BASE + reg / 16));
	// LAB 4 EXERCISE x2apic END
	return mmio_read(reg);
}

void
lapic_write(LapicReg reg, uint32_t value)
{
	assert(reg != LAPIC_ICRLO && reg != LAPIC_ICRHI);	// lapic_send_ipi only
	// LAB 4 EXERCISE x2apic BEGIN
	// The same register, written: wrmsr.
	//> if (lapic_mode == LapicMode::X2apic)
	//> 	panic("lapic_write: x2APIC registers are not implemented (LAB 4 exercise)");
	if (lapic_mode == LapicMode::X2apic) {
		wrmsr(MSR_X2APIC_BASE + reg / 16, value);
		return;
	}
	// LAB 4 EXERCISE x2apic END
	mmio_write(reg, value);
}

uint32_t
lapic_id()
{
	uint32_t id = lapic_read(LAPIC_ID);
	return lapic_mode == LapicMode::X2apic ? id : id >> 24;
}

void
lapic_eoi()
{
	lapic_write(LAPIC_EOI, 0);
}

bool
lapic_ready()
{
	return thiscpu->lapic_on && lapic_timer_hz != 0;
}

bool
lapic_can_address(uint32_t apic_id)
{
	// xAPIC destinations are 8 bits, and 0xFF means every CPU.
	return lapic_mode == LapicMode::X2apic || apic_id < 0xFF;
}

uint32_t
lapic_own_id(uint64_t lapic_pa, bool *full)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	if (base & APIC_BASE_EXTD) {
		*full = true;
		return static_cast<uint32_t>(rdmsr(MSR_X2APIC_ID));
	}
	if (!(base & APIC_BASE_EN)) {
		// Disabled: no ID register to read. CPUID is all there is.
		*full = cpuid(0).eax >= 0xB && cpuid(0xB, 0).ebx != 0;
		return cpuid_apic_id();
	}
	*full = false;
	map_xapic_page(lapic_pa);
	return mmio_read(LAPIC_ID) >> 24;
}

bool
lapic_x2apic_now()
{
	if (!(cpuid(1).ecx & CPUID1_ECX_X2APIC))
		return false;
	uint64_t writes[2];
	int n = apic_base_writes(rdmsr(MSR_APIC_BASE), true, writes);
	for (int i = 0; i < n; i++)
		wrmsr(MSR_APIC_BASE, writes[i]);
	x2apic_switched_early = n > 0;
	return true;
}

uint32_t
cpuid_apic_id()
{
	if (cpuid(0).eax >= 0xB) {
		CpuidRegs r = cpuid(0xB, 0);
		if (r.ebx != 0)
			return r.edx;
	}
	return cpuid(1).ebx >> 24;
}

void
lapic_setup(uint64_t lapic_pa, uint32_t max_apic_id)
{
	bool cpu_has_x2apic = cpuid(1).ecx & CPUID1_ECX_X2APIC;
	bool firmware_x2apic = (rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD) && !x2apic_switched_early;
	const char *reason;

	if (x2apic_switched_early && kargs.apic == ApicMode::Xapic) {
		// Back to xAPIC: the SDM's way out of x2APIC mode is through
		// disabled (the APIC's state is reset; lapic_init sets it up).
		uint64_t base = rdmsr(MSR_APIC_BASE) & ~(APIC_BASE_EN | APIC_BASE_EXTD);
		wrmsr(MSR_APIC_BASE, base);
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN);
	}

	if (firmware_x2apic) {
		// Leaving x2APIC mode needs a full APIC reset; stay.
		lapic_mode = LapicMode::X2apic;
		reason = "the firmware enabled it, as it does when APIC IDs above 254 exist";
		if (kargs.apic == ApicMode::Xapic)
			cprintf("warning: apic=xapic, but the firmware already put the APIC in "
				"x2APIC mode; staying in x2APIC mode\n");
	} else if (kargs.apic == ApicMode::Xapic) {
		lapic_mode = LapicMode::Xapic;
		reason = cpu_has_x2apic ? "apic=xapic, although the CPU offers x2APIC" : "apic=xapic";
	} else if (cpu_has_x2apic) {
		lapic_mode = LapicMode::X2apic;
		reason = kargs.apic == ApicMode::X2apic ? "apic=x2apic" : "the CPU offers x2APIC";
	} else {
		lapic_mode = LapicMode::Xapic;
		if (kargs.apic == ApicMode::X2apic) {
			cprintf("warning: apic=x2apic, but this CPU does not offer x2APIC "
				"(CPUID.01H:ECX bit 21 is 0); using xAPIC\n");
			reason = "apic=x2apic asked for, but the CPU lacks x2APIC";
		} else {
			reason = "the CPU does not offer x2APIC";
		}
	}
	cprintf("lapic: %s mode (%s)\n", lapic_mode == LapicMode::X2apic ? "x2APIC" : "xAPIC",
		reason);
	if (lapic_mode == LapicMode::Xapic && max_apic_id >= 0xFF)
		cprintf("warning: xAPIC mode cannot address APIC IDs above 254 (the largest here "
			"is %u); those CPUs will not start\n", max_apic_id);
	if (lapic_mode == LapicMode::Xapic)
		map_xapic_page(lapic_pa);
}

void
lapic_init()
{
	uint64_t writes[2];
	int n = apic_base_writes(rdmsr(MSR_APIC_BASE), lapic_mode == LapicMode::X2apic, writes);
	for (int i = 0; i < n; i++)
		wrmsr(MSR_APIC_BASE, writes[i]);

	// Enable, with spurious interrupts on their own vector.
	lapic_write(LAPIC_SVR, SVR_ENABLE | T_LAPIC_SPURIOUS);
	// The timer stays masked until someone arms it (lapic_timer_oneshot).
	lapic_write(LAPIC_TDCR, TDCR_DIV16);
	lapic_write(LAPIC_TIMER, LVT_MASKED | (IRQ_OFFSET + IRQ_TIMER));
	// Nothing arrives through LINT0 (the 8259s are masked). LINT1 carries
	// the external NMI on PCs: the boot CPU takes it (it runs on the NMI
	// IST stack); the others keep it masked, so one NMI is handled once.
	lapic_write(LAPIC_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LINT1, thiscpu == bootcpu ? LVT_NMI : LVT_MASKED);
	if (((lapic_read(LAPIC_VER) >> 16) & 0xFF) >= 4)
		lapic_write(LAPIC_PCINT, LVT_MASKED);
	lapic_write(LAPIC_ERROR, IRQ_OFFSET + IRQ_ERROR);
	// Clear the error status (xAPIC wants two writes) and any pending EOI.
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_ESR, 0);
	lapic_eoi();
	lapic_write(LAPIC_TPR, 0);

	thiscpu->lapic_on = true;
	if (lapic_id() != thiscpu->apic_id)
		cprintf("warning: CPU %d's local APIC reports ID %u, the firmware said %u\n",
			cpunum(), lapic_id(), thiscpu->apic_id);
}

bool
lapic_send_ipi(uint32_t apic_id, uint32_t icr_low)
{
	if (lapic_mode == LapicMode::X2apic) {
		// LAB 4 EXERCISE x2apic BEGIN
		// x2APIC: one 64-bit write to MSR_X2APIC_ICR sends the IPI, with the
		// 32-bit destination in the high half and icr_low in the low half.
		// There is no delivery-status bit to poll. WRMSR to the ICR is not
		// serializing: fence first (mfence; lfence), so that earlier stores
		// (the AP's stack pointer ...) are visible before the IPI arrives.
		//> panic("lapic_send_ipi: x2APIC IPIs to APIC ID %u are not implemented (LAB 4 exercise)", apic_id);
		mfence();
		lfence();
		wrmsr(MSR_X2APIC_ICR, static_cast<uint64_t>(apic_id) << 32 | icr_low);
		return true;
		// LAB 4 EXERCISE x2apic END
	}
	if (!xapic_wait_idle())
		return false;
	mmio_write(LAPIC_ICRHI, apic_id << 24);
	mmio_write(LAPIC_ICRLO, icr_low);	// this write sends
	return xapic_wait_idle();
}

void
lapic_send_nmi(uint32_t apic_id)
{
	if (!lapic_send_ipi(apic_id, LVT_NMI))
		cprintf("lapic: NMI to APIC ID %u was not delivered\n", apic_id);
}

void
lapic_send_init(uint32_t apic_id)
{
	if (!lapic_send_ipi(apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT))
		cprintf("lapic: INIT IPI to APIC ID %u was not delivered\n", apic_id);
}

void
lapic_send_startup(uint32_t apic_id, uint64_t addr)
{
	// The vector is the page number of the real-mode entry point.
	if (!lapic_send_ipi(apic_id, ICR_STARTUP | static_cast<uint32_t>(addr >> 12)))
		cprintf("lapic: STARTUP IPI to APIC ID %u was not delivered\n", apic_id);
}

namespace {

// What the CMOS shutdown code and the warm-reset vector held before the
// first lapic_startaps, for lapic_restore_warm_reset.
bool warm_reset_saved;
uint8_t saved_shutdown_code;
uint16_t saved_warm_reset[2];

constexpr uint8_t CMOS_SHUTDOWN = 0xF;
constexpr uint8_t SHUTDOWN_JMP467 = 0x0A;	// after reset: far jump through 40:67

uint8_t
cmos_read(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

void
cmos_write(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

} // namespace

StartupWaits lapic_startup_waits = kMpSpecWaits;
uint32_t lapic_miss_startups_of = ~0U;

// Starts the APs with these APIC IDs at addr (page aligned, below 1 MiB),
// as the MultiProcessor Specification's universal algorithm says; each
// step goes to every AP before the wait that follows it.
void
lapic_startaps(const uint32_t *apic_ids, int n, uint64_t addr)
{
	// Old CPUs start at the warm-reset vector after INIT: CMOS shutdown
	// code 0x0A and the vector at 40:67 point at the trampoline.
	auto *wrv = static_cast<volatile uint16_t *>(KADDR(0x467));
	if (!warm_reset_saved) {
		saved_shutdown_code = cmos_read(CMOS_SHUTDOWN);
		saved_warm_reset[0] = wrv[0];
		saved_warm_reset[1] = wrv[1];
		warm_reset_saved = true;
	}
	cmos_write(CMOS_SHUTDOWN, SHUTDOWN_JMP467);
	wrv[0] = 0;
	wrv[1] = static_cast<uint16_t>(addr >> 4);

	for (int i = 0; i < n; i++)
		if (lapic_can_address(apic_ids[i]))
			lapic_send_init(apic_ids[i]);
	udelay(lapic_startup_waits.init_us);
	uint32_t miss = lapic_miss_startups_of;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < n; i++) {
			if (apic_ids[i] == miss)
				lapic_miss_startups_of = ~0U;	// this round only
			else if (lapic_can_address(apic_ids[i]))
				lapic_send_startup(apic_ids[i], addr);
		}
		if (round == 0)
			udelay(lapic_startup_waits.sipi_us);
	}
}

void
lapic_restore_warm_reset()
{
	if (!warm_reset_saved)
		return;
	auto *wrv = static_cast<volatile uint16_t *>(KADDR(0x467));
	wrv[0] = saved_warm_reset[0];
	wrv[1] = saved_warm_reset[1];
	cmos_write(CMOS_SHUTDOWN, saved_shutdown_code);
	warm_reset_saved = false;
}

void
lapic_startap(uint32_t apic_id, uint64_t addr)
{
	lapic_startaps(&apic_id, 1, addr);
}

void
lapic_timer_oneshot(uint64_t us)
{
	uint64_t ticks = lapic_timer_hz * us / 1000000;
	if (ticks == 0)
		ticks = 1;
	if (ticks > UINT32_MAX)
		ticks = UINT32_MAX;
	// lapic_init set the divider (16), which lapic_timer_hz was measured at.
	lapic_write(LAPIC_TIMER, IRQ_OFFSET + IRQ_TIMER);	// one-shot, unmasked
	lapic_write(LAPIC_TICR, static_cast<uint32_t>(ticks));
}
