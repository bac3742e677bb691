// Time: the TSC and the LAPIC timer, calibrated against the PIT.
#pragma once

#include <inc/types.h>

extern uint64_t tsc_hz;		// TSC ticks per second
extern uint64_t lapic_timer_hz;	// LAPIC timer ticks per second (divide by 16)
extern uint64_t boot_tsc;	// TSC at kernel entry

// Boot CPU, after lapic_init: measures both clocks over 10 ms of the PIT.
void clock_init();
// Spins for at least us microseconds.
void udelay(uint64_t us);
// A TSC deadline us microseconds from now, and whether it has passed.
uint64_t clock_deadline_us(uint64_t us);
bool clock_passed(uint64_t deadline);
// Milliseconds since kernel entry, on any CPU (sys_time_msec, lab 6).
uint64_t time_msec();
// Microseconds between two TSC readings.
uint64_t tsc_to_us(uint64_t ticks);
// Records that a boot phase ended (boot CPU only; cheap).
void boot_phase(const char *what);
// With timing=on, prints one "timing: <phase> done at <us> us (+<us>)" line
// per recorded phase, in microseconds since kernel entry.
void boot_phase_report();
