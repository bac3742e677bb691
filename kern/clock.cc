// Clock calibration. The PIT runs at a fixed 1.193182 MHz on every PC (and
// in QEMU, in virtual time), so counting TSC and LAPIC timer ticks across a
// known number of PIT ticks gives both their frequencies.

#include <inc/stdio.h>
#include <inc/x86.h>
#include <kern/clock.h>
#include <kern/cmdline.h>
#include <kern/lapic.h>

uint64_t tsc_hz;
uint64_t lapic_timer_hz;
uint64_t boot_tsc;

namespace {

constexpr uint64_t kPitHz = 1193182;
constexpr uint64_t kCalibrateMs = 10;
constexpr uint16_t PIT_CH2 = 0x42, PIT_MODE = 0x43, PORT_B = 0x61;
constexpr uint8_t PORTB_GATE2 = 0x01, PORTB_SPEAKER = 0x02, PORTB_OUT2 = 0x20;
// Used until calibration, and if the PIT never answers: a deliberately
// high guess, so that early delays are too long rather than too short.
constexpr uint64_t kFallbackTscHz = 4000000000UL;

} // namespace

void
clock_init()
{
	uint64_t count = kPitHz * kCalibrateMs / 1000;

	// PIT channel 2, gated by port 0x61, speaker off; mode 0 raises OUT2
	// when the count runs out.
	outb(PORT_B, static_cast<uint8_t>((inb(PORT_B) & ~PORTB_SPEAKER) | PORTB_GATE2));
	outb(PIT_MODE, 0xB0);	// channel 2, lobyte/hibyte, mode 0, binary
	outb(PIT_CH2, static_cast<uint8_t>(count & 0xFF));
	lapic_write(LAPIC_TICR, 0xFFFFFFFF);
	uint32_t lapic0 = lapic_read(LAPIC_TCCR);
	uint64_t tsc0 = rdtsc();
	outb(PIT_CH2, static_cast<uint8_t>(count >> 8));	// counting starts

	// Bounded: a machine without a working PIT must not hang here.
	uint64_t spins = 0;
	while (!(inb(PORT_B) & PORTB_OUT2) && spins < 100000000)
		spins++;
	uint64_t tsc1 = rdtsc();
	uint32_t lapic1 = lapic_read(LAPIC_TCCR);
	lapic_write(LAPIC_TICR, 0);	// stop the timer

	if (!(inb(PORT_B) & PORTB_OUT2) || tsc1 <= tsc0) {
		tsc_hz = kFallbackTscHz;
		lapic_timer_hz = 0;
		cprintf("warning: clock: the PIT never counted down; assuming a %lu MHz TSC "
			"and no LAPIC timer\n", tsc_hz / 1000000);
		return;
	}
	tsc_hz = (tsc1 - tsc0) * 1000 / kCalibrateMs;
	lapic_timer_hz = static_cast<uint64_t>(lapic0 - lapic1) * 1000 / kCalibrateMs;
	cprintf("clock: TSC %lu.%03lu MHz, LAPIC timer %lu.%03lu MHz (calibrated against "
		"the PIT over %lu ms)\n", tsc_hz / 1000000, tsc_hz / 1000 % 1000,
		lapic_timer_hz / 1000000, lapic_timer_hz / 1000 % 1000, kCalibrateMs);
}

uint64_t
clock_deadline_us(uint64_t us)
{
	uint64_t hz = tsc_hz ? tsc_hz : kFallbackTscHz;
	return rdtsc() + hz / 1000000 * us;
}

bool
clock_passed(uint64_t deadline)
{
	return static_cast<int64_t>(rdtsc() - deadline) >= 0;
}

void
udelay(uint64_t us)
{
	uint64_t deadline = clock_deadline_us(us);
	while (!clock_passed(deadline))
		cpu_relax();
}

uint64_t
tsc_to_us(uint64_t ticks)
{
	uint64_t hz = tsc_hz ? tsc_hz : kFallbackTscHz;
	return ticks / (hz / 1000000);
}

namespace {
struct Phase {
	const char *what;
	uint64_t tsc;
};
Phase phases[24];
int nphases;
} // namespace

void
boot_phase(const char *what)
{
	if (nphases < static_cast<int>(ARRAY_SIZE(phases)))
		phases[nphases++] = Phase{what, rdtsc()};
}

void
boot_phase_report()
{
	if (!kargs.timing)
		return;
	uint64_t prev = boot_tsc;
	for (int i = 0; i < nphases; i++) {
		cprintf("timing: %-22s done at %8lu us (+%lu)\n", phases[i].what,
			tsc_to_us(phases[i].tsc - boot_tsc), tsc_to_us(phases[i].tsc - prev));
		prev = phases[i].tsc;
	}
}
