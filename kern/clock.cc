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
constexpr uint64_t kCalibrateMs = 5;
constexpr int kCalibrateTries = 5;
constexpr uint16_t PIT_CH2 = 0x42, PIT_MODE = 0x43, PORT_B = 0x61;
constexpr uint8_t PORTB_GATE2 = 0x01, PORTB_SPEAKER = 0x02;
// Used until calibration, and if the PIT never answers: a deliberately
// high guess, so that early delays are too long rather than too short.
constexpr uint64_t kFallbackTscHz = 4000000000UL;

// One reading of PIT channel 2's counter, with the TSC just before and
// just after: the counter was latched somewhere in between.
struct PitSample {
	uint16_t count;
	uint64_t tsc_before, tsc_after;
	uint32_t lapic;		// LAPIC timer current count, read just after
};

PitSample
pit_sample()
{
	PitSample s;
	s.tsc_before = rdtsc();
	outb(PIT_MODE, 0x80);	// latch channel 2
	uint8_t lo = inb(PIT_CH2);
	uint8_t hi = inb(PIT_CH2);
	s.tsc_after = rdtsc();
	// Outside the bracket: it would widen the TSC's uncertainty, and the
	// LAPIC timer (time slices, naps) needs less precision.
	s.lapic = lapic_read(LAPIC_TCCR);
	s.count = static_cast<uint16_t>(hi << 8 | lo);
	return s;
}

// Measures the TSC and LAPIC timer over kCalibrateMs of PIT time. Returns
// the relative uncertainty in parts per million: the time spent reading
// the PIT at each end, which a busy host can stretch.
uint64_t
calibrate_once(uint64_t *tsc_hz_out, uint64_t *lapic_hz_out)
{
	uint64_t window = kPitHz * kCalibrateMs / 1000;
	// Channel 2, mode 0, counting down from 0xFFFF (55 ms), gate on.
	outb(PORT_B, static_cast<uint8_t>((inb(PORT_B) & ~PORTB_SPEAKER) | PORTB_GATE2));
	outb(PIT_MODE, 0xB0);
	outb(PIT_CH2, 0xFF);
	outb(PIT_CH2, 0xFF);
	lapic_write(LAPIC_TICR, 0xFFFFFFFF);

	PitSample a = pit_sample(), b = a;
	// Bounded: a PIT that does not count must not hang the boot.
	for (uint64_t spins = 0; static_cast<uint16_t>(a.count - b.count) < window; spins++) {
		if (spins > 10000000)
			return ~0UL;
		b = pit_sample();
	}
	uint64_t ticks = static_cast<uint16_t>(a.count - b.count);
	uint64_t tsc = (b.tsc_before + b.tsc_after) / 2 - (a.tsc_before + a.tsc_after) / 2;
	uint64_t slack = (a.tsc_after - a.tsc_before + b.tsc_after - b.tsc_before) / 2;
	if (tsc == 0)
		return ~0UL;
	*tsc_hz_out = tsc * kPitHz / ticks;
	*lapic_hz_out = static_cast<uint64_t>(a.lapic - b.lapic) * kPitHz / ticks;
	return slack * 1000000 / tsc;
}

// TSC ticks per microsecond: calibrated, or the fallback before that.
uint64_t
tsc_per_us()
{
	return (tsc_hz ? tsc_hz : kFallbackTscHz) / 1000000;
}

} // namespace

void
clock_init()
{
	// Keep the measurement with the smallest uncertainty; stop early once
	// one is within 0.5% (the 10 ms INIT wait is then right to 50 us).
	uint64_t best = ~0UL, best_tsc = 0, best_lapic = 0;
	for (int i = 0; i < kCalibrateTries && best > 5000; i++) {
		uint64_t t, l;
		uint64_t ppm = calibrate_once(&t, &l);
		if (ppm < best)
			best = ppm, best_tsc = t, best_lapic = l;
	}
	lapic_write(LAPIC_TICR, 0);	// stop the timer

	if (best == ~0UL) {
		tsc_hz = kFallbackTscHz;
		lapic_timer_hz = 0;
		cprintf("warning: clock: the PIT never counted down; assuming a %lu MHz TSC "
			"and no LAPIC timer\n", tsc_hz / 1000000);
		return;
	}
	tsc_hz = best_tsc;
	lapic_timer_hz = best_lapic;
	cprintf("clock: TSC %lu.%03lu MHz, LAPIC timer %lu.%03lu MHz (calibrated against "
		"the PIT over %lu ms, +-%lu ppm)\n", tsc_hz / 1000000, tsc_hz / 1000 % 1000,
		lapic_timer_hz / 1000000, lapic_timer_hz / 1000 % 1000, kCalibrateMs, best);
}

uint64_t
clock_deadline_us(uint64_t us)
{
	return rdtsc() + tsc_per_us() * us;
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
	return ticks / tsc_per_us();
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

uint64_t
time_msec()
{
	// LAB 6 EXERCISE time_msec BEGIN
	// Milliseconds since kernel entry: the TSC counts at tsc_hz on every
	// CPU (QEMU keeps them in step), from boot_tsc at kernel entry.
	// tsc_to_us turns TSC ticks into microseconds.
	//> return 0;
	return tsc_to_us(rdtsc() - boot_tsc) / 1000;
	// LAB 6 EXERCISE time_msec END
}
